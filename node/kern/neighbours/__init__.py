"""What other kernen do on the same thema: shown on a thema's page when the group turns it on.

Kernen name their thema's in their own words; the gemeente already groups every kern's
thema's by broad category (node/gemeente/categories.py) and publishes that list in its open
API (`/api/v1/themas`). A kern that shows its neighbours copies that list now and then
(`refresh`, a background job), finds the categories of its own thema's in it, and shows the
other kernen's thema's of the same categories, each linking to its source on that kern's
site. Nothing personal is involved, and nothing is sent: the kern only reads a public list.
"""
