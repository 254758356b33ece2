"""Project photos: only real JPEG/PNG/WebP, no metadata out, bombs and big files refused."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms
from starlette.datastructures import UploadFile

from node.kern.projects import model as projects
from node.kern.projects import photos
from tests.test_beheer_projects import add_project, field_error

NOT_A_PHOTO = "Dit bestand is geen foto. Kies een JPG-, PNG- of WebP-bestand."
TOO_LARGE = "De foto is te groot. Kies een foto van hoogstens 10 MB."
TOO_MANY_PIXELS = "De foto heeft te veel beeldpunten. Kies een foto van hoogstens 40 megapixel."


def image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """A landscape-stored JPEG that a phone marks as 'rotate 90°', with GPS, XMP and ICC."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Telefoonmerk"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 53.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (5.0, 17.0, 3.0),
    }
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGB", (3200, 2000), "red")
    image.paste((0, 0, 255), (0, 0, 3200, 1000))  # top half blue
    return image_bytes(
        image,
        "JPEG",
        exif=exif,
        icc_profile=icc,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Dorpsstraat 12</x:xmpmeta>',
    )


def png_with_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims another size: how decompression bombs look."""
    data = bytearray(image_bytes(Image.new("L", (8, 8)), "PNG"))
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


def stored(media_dir: Path) -> list[Path]:
    return sorted(media_dir.iterdir()) if media_dir.exists() else []


# --- Processing -------------------------------------------------------------------------


def test_phone_photo_comes_out_upright_small_and_without_metadata(tmp_path):
    original = phone_photo()
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has GPS

    name = photos.save_photo(original, tmp_path)

    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name)
    raw = (tmp_path / name).read_bytes()
    result = Image.open(io.BytesIO(raw))
    assert result.format == "JPEG"
    assert result.size == (1000, 1600)  # turned upright, long side 1600
    assert not result.getexif()
    assert {"exif", "xmp", "icc_profile"}.isdisjoint(result.info)
    for secret in (b"Exif", b"Telefoonmerk", b"Dorpsstraat", b"adobe:ns:meta"):
        assert secret not in raw
    # Rotated clockwise, the blue top half ends up on the right.
    assert result.getpixel((900, 800))[2] > 200
    assert result.getpixel((100, 800))[0] > 200


def test_png_with_transparency_gets_a_white_background(tmp_path):
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (200, 0, 400, 200))
    name = photos.save_photo(image_bytes(image, "PNG"), tmp_path)
    result = Image.open(tmp_path / name)
    assert result.mode == "RGB" and result.size == (400, 200)
    assert min(result.getpixel((50, 100))) > 245  # transparent became white, not black
    red, green, _blue = result.getpixel((300, 100))
    assert red > 180 and green < 40


def test_palette_png_and_webp_are_accepted(tmp_path):
    palette = Image.new("RGB", (50, 50), "green").convert("P")
    webp = Image.new("RGB", (2400, 600), "yellow")
    photos.save_photo(image_bytes(palette, "PNG"), tmp_path)
    name = photos.save_photo(image_bytes(webp, "WEBP"), tmp_path)
    with Image.open(tmp_path / name) as stored_webp:
        assert stored_webp.size == (1600, 400)
    assert len(stored(tmp_path)) == 2


@pytest.mark.parametrize(
    "data",
    [
        b"Dit is gewoon tekst, geen foto.\n",
        b"",
        image_bytes(Image.new("RGB", (20, 20)), "GIF"),
        image_bytes(Image.new("RGB", (20, 20)), "BMP"),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        image_bytes(Image.new("RGB", (800, 600), "red"), "JPEG")[:400],  # cut off
    ],
    ids=["text", "empty", "gif", "bmp", "svg", "truncated-jpeg"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(tmp_path, data):
    with pytest.raises(photos.PhotoError) as error:
        photos.save_photo(data, tmp_path)
    assert str(error.value) == NOT_A_PHOTO
    assert stored(tmp_path) == []


@pytest.mark.parametrize("size", [(50_000, 50_000), (8000, 6000)], ids=["bomb", "48-megapixel"])
def test_images_with_too_many_pixels_are_refused_before_decoding(tmp_path, size):
    with pytest.raises(photos.PhotoError) as error:
        photos.save_photo(png_with_size(*size), tmp_path)
    assert str(error.value) == TOO_MANY_PIXELS
    assert stored(tmp_path) == []


def test_more_than_ten_megabytes_is_refused(tmp_path):
    with pytest.raises(photos.PhotoError) as error:
        photos.save_photo(b"\xff" * (photos.MAX_UPLOAD_BYTES + 1), tmp_path)
    assert str(error.value) == TOO_LARGE


async def test_reading_an_upload_stops_just_past_the_limit():
    source = io.BytesIO(b"x" * 5000)
    with pytest.raises(photos.PhotoError) as error:
        await photos.read_upload(UploadFile(file=source, filename="groot.jpg"), limit=1000)
    assert str(error.value) == TOO_LARGE
    assert source.tell() == 1001


def test_a_failed_write_leaves_no_half_file(tmp_path, monkeypatch):
    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(photos.os, "replace", broken_replace)
    with pytest.raises(OSError):
        photos.save_photo(image_bytes(Image.new("RGB", (10, 10)), "PNG"), tmp_path)
    assert stored(tmp_path) == []


def test_every_photo_gets_its_own_random_name(tmp_path):
    data = image_bytes(Image.new("RGB", (10, 10)), "PNG")
    names = {photos.save_photo(data, tmp_path) for _ in range(3)}
    assert len(names) == 3
    assert [p.name for p in stored(tmp_path)] == sorted(names)  # no temp files left


def test_delete_only_touches_names_it_made(tmp_path):
    (tmp_path / "bloei.db").write_text("niet weggooien")
    photos.delete_photo(tmp_path, "../bloei.db")
    photos.delete_photo(tmp_path, "bloei.db")
    assert (tmp_path / "bloei.db").exists()


# --- Uploading in beheer ----------------------------------------------------------------


async def upload(client, csrf, project_id, data: bytes | None, alt="Kinderen bij de speeltuin"):
    files = {"photo": ("foto.jpg", data, "image/jpeg")} if data is not None else None
    form = {"csrf": csrf, "photo_alt": alt}
    if files is None:
        # A form without a chosen file still sends an empty file part.
        files = {"photo": ("", b"", "application/octet-stream")}
    return await client.post(f"/beheer/projecten/{project_id}/foto", data=form, files=files)


async def test_upload_replace_and_remove_a_photo(admin, db, settings):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    media = settings.media_dir

    response = await upload(client, csrf, project_id, phone_photo())
    assert response.status_code == 303
    first = projects.get_project_by_id(db, project_id)["photo"]
    assert [p.name for p in stored(media)] == [first]
    public = (await client.get(f"/projecten/{slug}")).text
    assert f'src="/media/{first}" alt="Kinderen bij de speeltuin"' in public
    served = await client.get(f"/media/{first}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"

    png = image_bytes(Image.new("RGBA", (30, 30), (0, 0, 0, 0)), "PNG")
    response = await upload(client, csrf, project_id, png, alt="Nieuwe foto")
    assert response.status_code == 303
    second = projects.get_project_by_id(db, project_id)["photo"]
    assert second != first
    assert [p.name for p in stored(media)] == [second]  # the old file is gone

    response = await upload(client, csrf, project_id, None, alt="Alleen een andere tekst")
    assert response.status_code == 303
    row = projects.get_project_by_id(db, project_id)
    assert (row["photo"], row["photo_alt"]) == (second, "Alleen een andere tekst")

    confirm = await client.get(f"/beheer/projecten/{project_id}/foto/verwijderen")
    assert confirm.status_code == 200 and "Ja, haal de foto weg" in confirm.text
    response = await client.post(
        f"/beheer/projecten/{project_id}/foto/verwijderen", data={"csrf": csrf}
    )
    assert response.status_code == 303
    assert projects.get_project_by_id(db, project_id)["photo"] is None
    assert stored(media) == []
    assert "/media/" not in (await client.get(f"/projecten/{slug}")).text


async def test_editor_may_upload_a_photo(editor, db, settings):
    client, csrf = editor
    project_id, _slug = add_project(db, settings)
    response = await upload(client, csrf, project_id, phone_photo())
    assert response.status_code == 303
    assert projects.get_project_by_id(db, project_id)["photo"]


async def test_text_file_named_jpg_is_refused_and_the_old_photo_stays(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    await upload(client, csrf, project_id, phone_photo())
    old = projects.get_project_by_id(db, project_id)["photo"]
    before = db.data_version()

    response = await upload(client, csrf, project_id, b"geen foto\n", alt="Mijn beschrijving")

    assert response.status_code == 400
    assert field_error(response.text, "photo") == NOT_A_PHOTO
    assert 'value="Mijn beschrijving"' in response.text
    assert db.data_version() == before
    assert [p.name for p in stored(settings.media_dir)] == [old]


async def test_more_than_ten_megabytes_is_refused_by_the_form(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    big = b"\xff\xd8\xff" + b"\x00" * (photos.MAX_UPLOAD_BYTES + 10)
    response = await upload(client, csrf, project_id, big)
    assert response.status_code == 400
    assert field_error(response.text, "photo") == TOO_LARGE
    assert stored(settings.media_dir) == []


async def test_a_body_far_over_the_limit_is_refused_with_413(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await upload(client, csrf, project_id, b"\x00" * (13 * 1024 * 1024))
    assert response.status_code == 413
    assert "te groot" in response.text
    assert stored(settings.media_dir) == []


async def test_a_decompression_bomb_is_refused_by_the_form(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await upload(client, csrf, project_id, png_with_size(50_000, 50_000))
    assert response.status_code == 400
    assert field_error(response.text, "photo") == TOO_MANY_PIXELS
    assert stored(settings.media_dir) == []


@pytest.mark.parametrize(
    "alt, message",
    [
        ("", "Vul een korte beschrijving van de foto in."),
        ("a" * 201, "Gebruik hoogstens 200 tekens."),
    ],
)
async def test_photo_needs_a_description(admin, db, settings, alt, message):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await upload(client, csrf, project_id, phone_photo(), alt=alt)
    assert response.status_code == 400
    assert field_error(response.text, "photo_alt") == message
    assert alt in response.text
    assert stored(settings.media_dir) == []
    assert projects.get_project_by_id(db, project_id)["photo"] is None


async def test_photo_form_without_a_file_asks_for_one(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await upload(client, csrf, project_id, None)
    assert response.status_code == 400
    assert field_error(response.text, "photo") == "Kies een foto."
    assert 'value="Kinderen bij de speeltuin"' in response.text
