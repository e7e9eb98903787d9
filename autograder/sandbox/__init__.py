"""Running untrusted student code: worker processes, their walls, and how they are started."""
