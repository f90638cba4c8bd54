"""Year-end submissions: actuals, budget execution and the project status machine."""
