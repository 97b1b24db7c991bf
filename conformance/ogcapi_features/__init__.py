# the profile keys the checks of this folder verify (oupcheck.marks); IDs are written from
# /req/... or /rec/..., as the standard abbreviates them
NAMESPACES = ()
NAMESPACE = "http://www.opengis.net/spec/ogcapi-features-1/1.0"
