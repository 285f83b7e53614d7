"""Timed campaigns (issue 22) in the admin API and the console (owner, operator): list, create,
deactivate. A campaign is a named weekly schedule (weekdays, a start and an end time in the
shop's time zone, optional dates) with a percentage off over several SKUs or a category; the
catalog decides its windows and prices, and mails opted-in members when a window starts."""

import re

from marshmallow import ValidationError
from werkzeug.utils import redirect

from gateway import auth, cache, pages, schemas
from gateway.http import api, json_body
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import InvalidInput, NotFound

ADMIN = {"tags": ["admin"], "roles": auth.CATALOG}
PAGE = {"roles": auth.CATALOG, "area": "admin"}
DONE = {"created": "admin.campaigns.created", "deactivated": "admin.campaigns.deactivated"}
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


def campaigns_page(gateway, request, errors=None, form=None, status=200, message=None):
    items = schemas.CampaignList().dump({"items": gateway.catalog_rpc.list_campaigns()})["items"]
    return pages.render(
        request,
        "admin/campaigns.html",
        status=status,
        campaigns=items,
        categories=cache.categories.get_or_set("all", gateway.catalog_rpc.list_categories),
        weekdays=WEEKDAYS,
        errors=errors or {},
        form=form or {"weekdays": [6, 7], "starts": "20:00", "ends": "22:00", "notify": True},
        done=DONE.get(request.args.get("done", "")),
        error=message,
    )


def campaign_of(form):
    """The console's form as the API's body (then validated by the same schema)."""
    skus = [s for s in re.split(r"[\s,，]+", form.get("skus", "")[:20000]) if s]
    body = {
        "name": form.get("name", "").strip()[:100],
        "percent_off": int(form["percent_off"]) if form.get("percent_off", "").strip().isdigit() else None,
        "weekdays": [int(d) for d in form.getlist("weekdays") if d.isdigit()],
        "starts": form.get("starts", "")[:5],
        "ends": form.get("ends", "")[:5],
        "timezone": form.get("timezone", "").strip()[:64] or "Asia/Shanghai",
        "notify": form.get("notify") == "1",
    }
    if form.get("category", "").strip():
        body["category"] = form["category"].strip()[:64]
    else:
        body["skus"] = skus
    return body


class AdminCampaignRoutes(Routes):
    @api("GET", "/api/v1/admin/campaigns", summary="Timed campaigns", response=schemas.CampaignList, **ADMIN)
    def list_campaigns(self, request):
        return schemas.CampaignList().dump({"items": self.catalog_rpc.list_campaigns()})

    @api(
        "POST",
        "/api/v1/admin/campaigns",
        summary="A timed campaign: a percentage off several SKUs or a category, in weekly windows",
        body=schemas.Campaign,
        response=schemas.Campaign,
        status=201,
        **ADMIN,
    )
    def create_campaign(self, request):
        fields = {k: v for k, v in json_body(request, schemas.Campaign()).items() if v is not None}
        created = self.catalog_rpc.create_campaign(request.actor.audit, fields)
        cache.invalidate_catalog()
        return 201, schemas.Campaign().dump(created)

    @api(
        "DELETE",
        "/api/v1/admin/campaigns/<int:campaign_id>",
        summary="Deactivate a campaign (and its prices)",
        response=schemas.Campaign,
        **ADMIN,
    )
    def deactivate_campaign(self, request, campaign_id):
        ended = self.catalog_rpc.deactivate_campaign(request.actor.audit, campaign_id)
        cache.invalidate_catalog()
        return schemas.Campaign().dump(ended)

    @page("GET", "/admin/campaigns", menu_label="admin.nav.campaigns", order=25, **PAGE)
    def admin_campaigns(self, request):
        return campaigns_page(self, request)

    @page("POST", "/admin/campaigns", **PAGE)
    def admin_create_campaign(self, request):
        body = campaign_of(request.form)
        form = {**body, "skus": request.form.get("skus", "")[:20000], "category": body.get("category", "")}
        try:
            fields = {k: v for k, v in schemas.Campaign().load(body).items() if v is not None}
            self.catalog_rpc.create_campaign(request.admin["actor"], fields)
        except ValidationError as exc:
            return campaigns_page(self, request, exc.messages, form, 400)
        except InvalidInput as exc:
            return campaigns_page(self, request, exc.details.get("fields") or {"name": [exc.message]}, form, 400)
        cache.invalidate_catalog()
        return redirect("/admin/campaigns?done=created", code=303)

    @page("POST", "/admin/campaigns/<int:campaign_id>/deactivate", **PAGE)
    def admin_deactivate_campaign(self, request, campaign_id):
        try:
            self.catalog_rpc.deactivate_campaign(request.admin["actor"], campaign_id)
        except NotFound:
            return campaigns_page(self, request, status=404, message="admin.campaigns.none")
        cache.invalidate_catalog()
        return redirect("/admin/campaigns?done=deactivated", code=303)
