"""The regulation catalogue: articles, clauses, duties and penalties for every finding kind."""
