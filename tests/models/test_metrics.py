from models.metrics import word_error_rate


def test_word_error_rate_counts_edits_per_reference_word_ignoring_case_and_punctuation():
    assert word_error_rate("The cat sat on the mat.", "the cat sat on the mat") == 0
    assert word_error_rate("the cat sat on the mat", "a cat sat on mat") == 2 / 6  # one substitution, one deletion
    assert word_error_rate("turn left", "turn left now please") == 1.0  # two insertions
    assert word_error_rate("", "hello there") == 2.0 and word_error_rate("", "") == 0.0
