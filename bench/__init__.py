"""Scale data (`manage.py seed_scale`) and the benchmark harness (`make bench`, `bench/run.py`).

Nothing here is imported by the running application: the seeder is called by its management
command, and the floor views live in `bench/floor.py`, mounted only by `bench/settings.py`.
"""
