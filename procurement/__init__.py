"""The platform core and the demand side of the joint procurement marketplace."""
from procurement.factory import create_app

__all__ = ["create_app"]
