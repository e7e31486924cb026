"""Prices, cost-effectiveness (ICERs, frontier, net benefit, BCR, P(B>C)), the budget optimiser, `compare` and its reports."""
