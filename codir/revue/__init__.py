"""The facilitator's annual review: questionnaire, indicators, séminaire and report."""
