"""A minimal Django project serving django-helpdesk and its REST API, for bench/helpdesk_compare.py."""
