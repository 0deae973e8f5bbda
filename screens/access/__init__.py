"""Access rights of a client's services: by service, by subject, as a matrix; local groups.

``AccessRightsScreen(client_id, view="service"|"subject"|"matrix")`` and
``LocalGroupsScreen(client_id)`` are pushed with ``app.push_screen``.
"""

from screens.access.local_groups import LocalGroupsScreen
from screens.access.screen import AccessRightsScreen

__all__ = ["AccessRightsScreen", "LocalGroupsScreen"]
