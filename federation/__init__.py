"""The Bloei federation protocol: keys, signatures, proofs, actors, inbox and outbox."""
