"""What machines read besides ActivityPub: the open-data API, its OpenAPI document and the
Atom feed."""
