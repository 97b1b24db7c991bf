# the profile keys the checks of this folder verify (oupcheck.marks)
NAMESPACES = ("mqtt-3.1.1:", "mqtt-5.0:")
