"""Project photos: check an upload by its content, strip what it tells about people, store it.

A photo from a phone carries EXIF (often GPS: where someone lives), XMP and a camera
orientation. We trust nothing about an upload but its pixels: Pillow decides what the file
is, we turn it upright, copy only the pixels into a fresh image and save that as a JPEG of
a size a village website needs. The stored name is random, so it tells nothing either.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.datastructures import UploadFile

from node.storage import StorageError, storage_cause
from node.web.i18n import _

if TYPE_CHECKING:
    from PIL import Image

# Pillow (with its image libraries, some 3 MB) is imported by the functions that decode an
# upload, not at start: a kern's process holds it only after someone uploaded a picture.

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
JPEG_QUALITY = 85
# Pillow's format names; what the client calls the file does not count.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
# Only names we made ourselves are ever deleted, so a stored value can never point elsewhere.
STORED_NAME_RE = re.compile(r"^[0-9a-f]{32}\.jpg$")


class PhotoError(ValueError):
    """An upload we cannot use; the message is for the person who sent it."""


def not_a_photo() -> PhotoError:
    return PhotoError(_("Dit bestand is geen foto. Kies een JPG-, PNG- of WebP-bestand."))


def too_large() -> PhotoError:
    return PhotoError(_("De foto is te groot. Kies een foto van hoogstens 10 MB."))


def too_many_pixels() -> PhotoError:
    return PhotoError(
        _("De foto heeft te veel beeldpunten. Kies een foto van hoogstens 40 megapixel.")
    )


def has_upload(value: object) -> bool:
    """True when the form field holds a chosen file (browsers send an empty part otherwise)."""
    return isinstance(value, UploadFile) and bool(value.filename)


async def read_upload(upload: UploadFile, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The upload's bytes, reading one byte past the limit only to know it is too large."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise too_large()
    if not data:
        raise not_a_photo()
    return data


def open_checked(data: bytes) -> Image.Image:
    """Open the bytes as an allowed image, refusing bombs before any pixel is decoded."""
    from PIL import Image

    try:
        probe = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise not_a_photo() from None
    # Only the header is read so far: refuse huge images before their pixels reach memory.
    if probe.width * probe.height > MAX_PIXELS:
        raise too_many_pixels()
    try:
        probe.verify()
        # verify() leaves the image unusable; open it again to decode it.
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise not_a_photo() from None
    if image.format not in ALLOWED_FORMATS:
        raise not_a_photo()
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert by the embedded colour profile (wide-gamut phone photos), then drop it."""
    from PIL import ImageCms

    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, source, target, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile is no reason to refuse the photo
    return converted or image


def _flatten(image: Image.Image) -> Image.Image:
    """Fresh RGB pixels on white: no transparency for JPEG, and none of the old metadata."""
    from PIL import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    source = image.convert("RGBA" if has_alpha else "RGB")
    fresh = Image.new("RGB", source.size, "white")
    fresh.paste(source, mask=source.getchannel("A") if has_alpha else None)
    return fresh


def clean_photo(data: bytes) -> Image.Image:
    """The upright, resized pixels of an uploaded photo, without any of its metadata."""
    from PIL import Image, ImageOps

    image = open_checked(data)
    try:
        if image.format == "JPEG":
            # Decode big JPEGs at a reduced scale: far less memory on a small server.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image = ImageOps.exif_transpose(image) or image
        image = _to_srgb(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        return _flatten(image)
    except Image.DecompressionBombError:
        raise too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # A file that opens but cannot be decoded (truncated, corrupt) is no photo either.
        raise not_a_photo() from None


def save_photo(data: bytes, media_dir: Path) -> str:
    """Check and clean an uploaded photo, store it as JPEG, and return its new file name."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large()
    image = clean_photo(data)
    try:
        return _store(image, media_dir)
    except OSError as error:
        # A full disk or a read-only folder is the host's problem, not the photo's.
        cause = storage_cause(error)
        if cause is None:
            raise
        raise StorageError(cause, media_dir) from error


def _store(image: Image.Image, media_dir: Path) -> str:
    media_dir.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ".jpg"
    # Write beside the target and rename: the web server never sees half a file.
    fd, temp_name = tempfile.mkstemp(dir=media_dir, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; a reverse proxy serving /media must read it.
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, media_dir / name)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return name


def delete_photo(media_dir: Path, name: str | None) -> None:
    """Remove a stored photo, in every size kept of it; call only after the database no
    longer points to it."""
    if not name or not STORED_NAME_RE.match(name):
        return
    # Every file of one photo starts with its random stem (a smaller size would be
    # "<stem>-640.jpg"); 128 random bits, so the stem names nothing but this photo.
    stem = name.removesuffix(".jpg")
    for path in media_dir.glob(stem + "*"):
        path.unlink(missing_ok=True)
