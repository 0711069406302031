"""Container images on the node: references, the content store, layer unpacking."""

from .reference import InvalidReference, Reference, normalize, parse_reference
from .store import Image, ImageError, ImageStore

__all__ = ["Image", "ImageError", "ImageStore", "InvalidReference", "Reference", "normalize", "parse_reference"]
