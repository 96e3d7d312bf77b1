"""Staff navigation: the landing page at ``/``, the links between staff pages, and the ``make run`` banner."""
