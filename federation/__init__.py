"""The Bloei federation protocol: ActivityPub between nodes, knowing nothing of kernen or pages.

`node/` uses this package; this package never imports `node`. The wire format is documented in
docs/FEDERATION.md.

Modules, one job each:

    keys               key pairs on disk, rotation, PEM and Multikey encodings
    identity           the local actor: its id and keys, signing requests and proofs
    proofs             integrity proofs (FEP-8b32, eddsa-jcs-2022)
    signatures         HTTP signatures, draft-cavage and RFC 9421 (the public face of
                       cavage, rfc9421, digests, structured_fields and signature_common)
    vocabulary         the JSON-LD context, Bloei's terms, activity builders
    actors             actor documents, WebFinger, NodeInfo; reading remote actors
    store              the protocol's tables (one Migrations set) and the Store protocol
    followers          follower and following records
    follows            the Follow protocol: Follow, Undo, Accept, Reject, approve, follow
    outbox             publishing in the caller's transaction; the paged, signed feed
    delivery           the durable outgoing queue: deliver_due() with lanes, leases, retries
    knocking           sign with RFC 9421, fall back to draft-cavage, remember per host
    addresses, fetch   which URLs may be contacted; fetching remote JSON safely
    transport          the HTTP client that connects only to addresses the policy checked
    keycache           remote actors and keys: memory, database, network
    dispatch           the handler table by activity type, and the handler context
    inbox              verify, de-duplicate, dispatch

Wiring a node, in short:

    db.open([core, kern, federation.store.migrations])
    me = LocalIdentity(settings.url("/actor"), load_or_create_key_pair(settings.keys_dir))
    policy = AddressPolicy(dev=settings.dev)
    client = checked_client(lambda: policy)    # connects only to checked addresses
    auth = DoubleKnockAuth(me.http_auth, SchemeMemory(db))  # RFC 9421, else draft-cavage
    fetcher = Fetcher(client, policy, auth=auth)
    keys = KeyCache(db, fetcher)
    handlers = follows.default_handlers(FollowRules(auto_accept, trusted={gemeente_id}))
    handlers.register("Create", ...)            # the node's own types
    inbox = Inbox(db, me, keys, handlers)       # POST /inbox -> inbox.receive(InboxRequest)
    db.write(outbox.publish, me, activity, now) # inside the change's own transaction
    await delivery.deliver_due(db, auth, client, policy=policy)  # the worker
"""
