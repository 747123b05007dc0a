"""Chain of custody for footage (Art. 16(3), 16(8), 17): archive retention, integrity seals, the
access ledger and the signing keys behind them."""
