"""The realistic data generator: `tenderwatch generate` (REQ-05, REQ-21; issue 4 item 3).

One seeded generator of a county's (or a province's, or the country's) tendering projects —
industry mix, amounts, companies with valid USCCs, bidders and their fingerprints, committees,
timelines on real working days — with violations injected at known rates and labelled in a
separate file. It serves the demo (district scale, into the database), the tests and the
benchmarks (OCDS JSON Lines, Parquet).

    model.py       the stream of projects and the injected violations
    population.py  companies, tenderers, agencies, experts
    violations.py  the violation codes, their rules and rates, labels
    bundles.py     projects → `ProcessBundle`s (what the ledger's bulk writer stores)
    documents.py   tender-document text (with the discriminatory clauses)
    outputs.py     database, OCDS JSON Lines, Parquet, labels
    vocab.py       names, places, project names
    workcal.py     the working-day calendar as a table
"""
