"""Check: captures taken out of responses and expectations checked against them."""
