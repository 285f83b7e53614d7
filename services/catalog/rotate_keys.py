"""The old name of the key rotation, which walks every encrypted column now: services/rotation.py."""

from services.rotation import main

if __name__ == "__main__":
    main()
