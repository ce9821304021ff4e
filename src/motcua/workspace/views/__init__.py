"""The staff workspace's pages, one module per area (each parses the request, calls selectors and services, and
renders; every rule lives in the domain apps):

- :mod:`.auth`: sign-in and sign-out;
- :mod:`.queues`: the officer's queues (the home page);
- :mod:`.reception`: reception at the counter;
- :mod:`.dossier`: the dossier page, its files and slips;
- :mod:`.actions`: the actions of the machine's table, one POST each;
- :mod:`.petitions`: feedback and petitions about one's agencies, and their ratings.
"""
