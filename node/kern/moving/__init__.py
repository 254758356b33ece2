"""A kern that moves to a new address: what it hands over, what it takes along, and how the
old address sends people on."""
