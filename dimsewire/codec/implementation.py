"""Who dimsewire is on the wire: its version, Implementation Class UID and Version Name.

Sent in the A-ASSOCIATE User Information (PS3.7 D.3.3.2) and written into the File Meta
Information of Part 10 files (PS3.10 7.1).
"""

from __future__ import annotations

__all__ = ["IMPLEMENTATION_CLASS_UID", "IMPLEMENTATION_VERSION_NAME", "VERSION"]

#: The package version.
VERSION = "0.1.0"
#: dimsewire's Implementation Class UID (PS3.7 D.3.3.2), a UUID-derived UID (PS3.5 B.2).
IMPLEMENTATION_CLASS_UID = "2.25.135873463247192846172936622143038300940"
#: dimsewire's Implementation Version Name (at most 16 characters).
IMPLEMENTATION_VERSION_NAME = "DIMSEWIRE_" + VERSION.replace(".", "")
