# the profile keys the checks of this folder verify (oupcheck.marks)
NAMESPACES = ("ngsi-ld:",)
