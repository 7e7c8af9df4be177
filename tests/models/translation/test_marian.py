"""The Marian decoder layer over a whole target sequence (teacher forcing, as attribution runs it) against the same
layer one position at a time (as decoding runs it), on a small random network: no weights to load."""
import torch

from models.translation.marian import DecoderLayer, MarianConfig, ShortlistedOutput

CONFIG = MarianConfig(vocab_size=50, d_model=16, n_heads=4, d_ffn=32, encoder_layers=1, decoder_layers=1)


def test_a_decoder_layer_over_the_sequence_equals_its_steps_one_position_at_a_time():
    torch.manual_seed(0)
    layer = DecoderLayer(CONFIG)
    batch, length, source = 3, 7, 5
    x = torch.randn(batch, length, CONFIG.d_model, requires_grad=True)
    memory = torch.randn(batch, source, CONFIG.d_model)
    keys_values = layer.cross_attention.project_keys_values(memory)
    padding = torch.zeros(batch, source, dtype=torch.bool)
    padding[1, -2:] = True
    for cell in (None, torch.randn(batch, CONFIG.d_model)):
        output, last_cell, weights = layer.forward_sequence(x, keys_values, padding, cell)
        step_cell = torch.zeros(batch, CONFIG.d_model) if cell is None else cell
        outputs, step_weights = [], []
        for position in range(length):
            out, step_cell, attention = layer(x[:, position], step_cell, keys_values, padding)
            outputs.append(out)
            step_weights.append(attention)
        assert output.shape == (batch, length, CONFIG.d_model)
        assert weights.shape == (batch, CONFIG.n_heads, length, source)
        torch.testing.assert_close(output, torch.stack(outputs, 1))
        torch.testing.assert_close(last_cell, step_cell)
        torch.testing.assert_close(weights, torch.stack(step_weights, 2))
        assert weights[1, :, :, -2:].abs().max() == 0  # padding gets no attention

    # differentiable, and causal: position t's output depends on no later input
    gradient, = torch.autograd.grad(layer.forward_sequence(x, keys_values, padding)[0][:, 2].sum(), x)
    assert gradient[:, :3].abs().sum() > 0 and gradient[:, 3:].abs().max() == 0


def test_shortlisted_scores_of_every_position_mask_each_rows_own_shortlist():
    torch.manual_seed(0)
    ids = torch.tensor([2, 5, 9, 11])
    allowed = torch.tensor([[True, False, True, True], [False, True, True, False], [True, True, True, True]])
    shortlist = ShortlistedOutput(ids, torch.randn(len(ids), CONFIG.d_model), torch.randn(len(ids)), allowed)
    hidden = torch.randn(len(allowed), 3, CONFIG.d_model)  # as many positions as rows: a wrong broadcast would pass

    scores = shortlist.scores(hidden)

    torch.testing.assert_close(scores, torch.stack([shortlist.scores(hidden[:, t]) for t in range(3)], 1))
    assert torch.equal(scores.isinf(), ~allowed[:, None, :].expand_as(scores))
