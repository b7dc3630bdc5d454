from communes.exports import csv_response


def test_csv_cells_that_spreadsheet_software_would_run_as_formulas_are_quoted():
    rows = [['=HYPERLINK("http://x")', 12], ["@SUM(A1)", -3], ["Vélo", 0]]
    lines = csv_response("x.csv", ["Projet", "Montant"], rows).content.decode("utf-8-sig").splitlines()
    assert lines == ["Projet;Montant", '"\'=HYPERLINK(""http://x"")";12', "'@SUM(A1);-3", "Vélo;0"]
