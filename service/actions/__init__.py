"""The application layer: keyword-only functions that hold the service's rules.

Routes (`service.routes`) and pages (`service.web`) both call these and neither calls the other.
Each function takes a session, the caller (household, compound, account), typed input (the
`...In` schemas) and the clock (`now`); it returns typed views (the `...Out` schemas, or a
dataclass a page needs) and refuses by raising `service.actions.errors` (a kind and a code).
Nothing here knows HTTP.
"""
