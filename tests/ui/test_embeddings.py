"""The Embeddings tab: /neighbors, /analogy and /project through gradio_client, a bad word's message, and the
handlers that draw (called directly)."""
import pytest
import torch


@pytest.mark.slow
def test_neighbors_endpoint_lists_words_with_their_similarity(client):
    found = client.predict("cat", 5, api_name="/neighbors")
    assert [row["word"] for row in found][:1] == ["dog"] and len(found) == 5
    assert 0.9 < found[0]["similarity"] <= 1


@pytest.mark.slow
def test_analogy_endpoint_answers_queen_without_the_inputs(client):
    found = client.predict("man", "king", "woman", 3, api_name="/analogy")
    assert found[0]["word"] == "queen" and len(found) == 3
    assert not {"man", "king", "woman"} & {row["word"] for row in found}


@pytest.mark.slow
def test_project_endpoint_gives_coordinates_per_word_and_notes(client):
    answer = client.predict("countries: france, italy, japan\ncapitals: paris, rome, tokyo, paris", "pca-3d",
                            api_name="/project")
    assert answer["words"] == ["france", "italy", "japan", "paris", "rome", "tokyo"]
    assert answer["groups"] == ["countries"] * 3 + ["capitals"] * 3
    assert [len(point) for point in answer["coordinates"]] == [3] * 6 and len(answer["notes"]) == 1


@pytest.mark.slow
def test_an_unknown_word_is_a_message_with_the_closest_spellings(client):
    with pytest.raises(Exception, match="qeen.*queen"):
        client.predict("qeen", 5, api_name="/neighbors")
    with pytest.raises(Exception, match="Type some words first"):
        client.predict(" \n ", "pca-2d", api_name="/project")
    with pytest.raises(Exception, match="at least two known"):
        client.predict("xqzvw, cat", "pca-2d", api_name="/project")


# ----------------------------------------------------------------------------------------------
# The tab's handlers, called directly

@pytest.fixture(scope="module")
def registry():
    from models.registry import ModelRegistry

    return ModelRegistry(torch.device("cpu"))


def no_progress(*args, **kwargs):
    pass


def test_the_analogy_figure_draws_the_shift_twice_and_names_the_answer(registry):
    from studio.embeddings import analogy
    from studio.views.embeddings import analogy_figure

    rows, found = analogy(registry, "france", "paris", "japan", 3, progress=no_progress)
    figure = analogy_figure(found)
    assert rows[0]["word"] == "tokyo" and list(figure.data[0].text)[-1] == "tokyo"
    assert len(figure.layout.annotations) == 3  # a → b, c → b − a + c, b − a + c → the answer


def test_a_projection_of_a_preset_joins_its_pairs_and_draws_the_similarity_matrix(registry):
    from studio.embeddings import PRESETS, project, projection_views

    answer, drawn = project(registry, PRESETS["capitals"], "pca-2d", progress=no_progress)
    scatter, similarity, notes = projection_views(drawn, answer)
    lines = [trace for trace in scatter.data if trace.mode == "lines"]
    groups = [trace.name for trace in scatter.data if trace.mode == "markers+text"]
    assert len(lines) == 10 and groups == ["countries", "capitals"] and notes == ""
    assert similarity.data[0].z.shape == (20, 20)


def test_chinese_words_and_sentences_reach_the_plots_unchanged(registry):
    from studio.embeddings import project, projection_views, sentences

    answer, drawn = project(registry, "中文: 中国, cat, dog", "pca-2d", progress=no_progress)
    scatter, _, notes = projection_views(drawn, answer)
    assert scatter.data[-1].name == "中文" and "中国" in notes  # not a GloVe word: left out, said as typed
    figure, _ = sentences(registry, "今天天气很好。\n今天是晴天。\nThe market fell.", "pca-2d", progress=no_progress)
    assert list(figure.data[-1].text)[0] == "今天天气很好。"


def test_sentences_need_two():
    import gradio as gr

    from studio.embeddings import sentences

    with pytest.raises(gr.Error, match="at least two"):
        sentences(None, "only one", "pca-2d", progress=no_progress)


def test_the_streaming_word2vec_handler_says_bad_watched_words_as_messages(registry):
    import inspect

    import gradio as gr

    from studio.embeddings import MAX_WATCHED, train_word2vec
    from studio.handlers import bind

    bound = bind(train_word2vec, registry)
    assert inspect.isgeneratorfunction(bound)  # so Gradio streams its updates
    with pytest.raises(gr.Error, match=f"at most {MAX_WATCHED} words"):
        next(bound(", ".join(f"w{i}" for i in range(MAX_WATCHED + 1)), 1, progress=no_progress))
    with pytest.raises(gr.Error, match="goverment.*government"):
        next(bound("goverment", 1, progress=no_progress))


@pytest.mark.slow
def test_word2vec_trains_live_with_the_watched_words_neighbours_per_epoch_beside_glove(registry):
    from studio.embeddings import train_word2vec

    shown = list(train_word2vec(registry, "film, phone", 1, progress=no_progress))
    loss, table, status = shown[-1]
    assert table.headers == ["word", "epoch 0", "epoch 1", "GloVe (6 billion words)"]
    assert [row[0] for row in table.value["data"]] == ["film", "phone"]
    assert "movie" in table.value["data"][0][-1] and status.startswith("**finished**")
    assert [trace.name for trace in loss.data] == ["train", "validation"] and len(loss.data[1].x) == 1
