"""The bootstrap program: what the mlops stacks' pipelines need before their first deployment.

Its own Pulumi project (``bootstrap/Pulumi.yaml``), run once by an administrator. ``config``
declares its config, ``roles`` what each identity may do, ``state`` the state storage and keys,
``identities`` a pipeline identity, ``access`` who gets which identity and grants, and
``program`` puts them together. It imports the main program's ``settings`` (its validation and
the roles the program grants) and its access matrix (``components.access.MATRIX``: who gets
which role where, so the deploy identity may assign exactly that), never its other components.
"""
