"""Moved to :mod:`motcua.core.uploads` (every app checks uploads, ``dossiers`` included, below ``documents``);
kept until the portal imports it from there."""

from motcua.core.uploads import (
    CheckedFile,
    ImageTooLarge,
    UploadRefused,
    UploadTooLarge,
    check_upload,
    decoding,
    open_image,
)

__all__ = [
    "CheckedFile", "ImageTooLarge", "UploadRefused", "UploadTooLarge", "check_upload", "decoding", "open_image",
]
