"""The group's logo and header image: checked by their pixels, stored under random names.

Only PNG, JPEG and WebP are taken (projects/photos.py decides by the content what a file
is): no SVG, which can carry script. The logo keeps its transparency (a logo sits on the
kern's own colour) and is made small; the header image is stored like a project photo, so
it loses its metadata (GPS) the same way. Both live in the media folder, so a backup and
`bloei export` take them along with the database that names them.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from node.kern.projects import photos
from node.storage import StorageError, storage_cause

if TYPE_CHECKING:
    from PIL import Image

# A logo is shown about 3 rem high: 400 pixels is sharp on any screen and small on the line.
LOGO_SIDE = 400
LOGO_NAME_RE = re.compile(r"^logo-[0-9a-f]{32}\.png$")


def save_logo(data: bytes, media_dir: Path) -> str:
    """Check the upload, keep only its pixels (with transparency), store it as a PNG."""
    # Pillow only when a logo is uploaded (node/kern/projects/photos.py says why).
    from PIL import Image, ImageOps

    if len(data) > photos.MAX_UPLOAD_BYTES:
        raise photos.too_large()
    image = photos.open_checked(data)
    try:
        image = ImageOps.exif_transpose(image) or image
        source = image.convert("RGBA")
        source.thumbnail((LOGO_SIDE, LOGO_SIDE), Image.Resampling.LANCZOS)
        fresh = Image.new("RGBA", source.size, (0, 0, 0, 0))
        fresh.paste(source, (0, 0))
    except Image.DecompressionBombError:
        raise photos.too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise photos.not_a_photo() from None
    try:
        return _store_png(fresh, media_dir)
    except OSError as error:
        cause = storage_cause(error)
        if cause is None:
            raise
        raise StorageError(cause, media_dir) from error


def _store_png(image: Image.Image, media_dir: Path) -> str:
    media_dir.mkdir(parents=True, exist_ok=True)
    name = f"logo-{secrets.token_hex(16)}.png"
    # Beside the target, then renamed: the web server never sees half a file.
    fd, temp_name = tempfile.mkstemp(dir=media_dir, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, "PNG", optimize=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, media_dir / name)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return name


def save_header_image(data: bytes, media_dir: Path) -> str:
    """A header image is a photo: upright, without metadata, at most 1600 pixels wide."""
    return photos.save_photo(data, media_dir)


def delete_image(media_dir: Path, name: str | None) -> None:
    """Remove a logo or header image the site no longer names; only names we made."""
    if name and LOGO_NAME_RE.match(name):
        (media_dir / name).unlink(missing_ok=True)
    else:
        photos.delete_photo(media_dir, name)
