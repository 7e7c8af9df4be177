"""Embeddings tab: words as vectors. GloVe's nearest neighbours, analogies with their arithmetic drawn, 2-D / 3-D
projections of word lists and of sentences (MiniLM), and Word2Vec trained live on the BBC News corpus beside GloVe."""
import threading

import gradio as gr

from models.errors import InputError, Phrase
from models.language.analogies import analogy_items, score
from models.language.projection import project as project_vectors
from models.language.word2vec import Snapshot, train_watching
from models.language.word_vectors import MAX_NEIGHBOURS, Analogy, Neighbour, WordVectors, parse_groups
from models.limits import LIMITS
from models.registry import ModelRegistry
from models.training.config import TrainConfig
from models.training.loop import Point
from models.training.tasks import TASKS
from studio import concepts
from studio.common import in_user_language, load_model, model_choices, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import say, t
from studio.views.embeddings import (
    analogy_figure,
    neighbours_figure,
    projection_figure,
    similarity_figure,
    word2vec_loss_figure,
)

GLOVE = "glove-6b-50d"
MINILM = "all-minilm-l6-v2"
ENDPOINTS = {"neighbors": "neighbors", "analogy": "analogy", "project": "project", "sentences": "sentences"}
METHODS = {"pca-2d": 2, "pca-3d": 3}  # shown as embeddings.method.<name>
# Word lists to start from (words are content, in the vectors' language); each line a group.
PRESETS = {
    "capitals": "countries: france, germany, italy, spain, japan, china, russia, egypt, greece, canada\n"
                "capitals: paris, berlin, rome, madrid, tokyo, beijing, moscow, cairo, athens, ottawa",
    "tenses": "present: go, see, take, write, run, eat, give, know, speak, swim\n"
              "past: went, saw, took, wrote, ran, ate, gave, knew, spoke, swam\n"
              "participle: gone, seen, taken, written, run, eaten, given, known, spoken, swum",
    "comparatives": "adjective: good, bad, big, small, fast, slow, strong, young, old, cheap\n"
                    "comparative: better, worse, bigger, smaller, faster, slower, stronger, younger, older, cheaper",
    "mixed": "animals: cat, dog, horse, cow, lion, tiger, mouse, rabbit\n"
             "fruit: apple, banana, orange, grape, lemon, cherry, pear, peach\n"
             "vehicles: car, bus, train, truck, bicycle, plane, boat, motorcycle",
}
SENTENCES = ("The cat sat on the mat.\nA kitten was sleeping on the rug.\nStock markets fell sharply today.\n"
             "Shares dropped as investors sold.\nThe team won the final match.\n今天天气很好。")
MAX_SENTENCES = LIMITS.compared_sentences
WATCHED = "government, music, film, bank, phone, england"
MAX_WATCHED = 8
TRAIN_POLL_SECONDS = 0.5
TRAIN_QUEUE = {"concurrency_id": "word2vec", "concurrency_limit": 1}  # one live training at a time, beside the rest


# ----------------------------------------------------------------------------------------------
# Handlers

def neighbour_rows(neighbours: list[Neighbour]) -> list[dict]:
    return [{"word": n.word, "similarity": round(n.similarity, 4)} for n in neighbours]


@user_errors
def neighbors(registry: ModelRegistry, word: str, k: int = 10, model: str = GLOVE,
              progress=gr.Progress()) -> list[dict]:
    """The words nearest in meaning to a word (cosine similarity of word vectors).

    Args:
        word: an English word, e.g. "paris"
        k: how many neighbours, 1 to 100
        model: "glove-6b-50d" (400,000 words), or a Word2Vec trained here

    Returns:
        A list of {word, similarity}, the nearest first.
    """
    return neighbour_rows(load_model(registry, model, progress).neighbours(word or "", k))


@user_errors
def analogy(registry: ModelRegistry, a: str, b: str, c: str, k: int = 5, model: str = GLOVE,
            progress=gr.Progress()) -> tuple[list[dict], Analogy]:
    """Complete an analogy a : b :: c : ? (man : king :: woman : ?) with word vectors: the words nearest b − a + c.

    Args:
        a: the first word, e.g. "man"
        b: what a becomes, e.g. "king"
        c: the word to treat the same way, e.g. "woman"
        k: how many answers, 1 to 100
        model: "glove-6b-50d", or a Word2Vec trained here

    Returns:
        A list of {word, similarity} (the three inputs left out), the best first; and the analogy for the page.
    """
    found = load_model(registry, model, progress).analogy(a or "", b or "", c or "", k)
    return neighbour_rows(found.answers), found


@user_errors
def project(registry: ModelRegistry, words: str, method: str = "pca-2d", model: str = GLOVE,
            progress=gr.Progress()) -> tuple[dict, tuple]:
    """Project word vectors to 2 or 3 dimensions (PCA) to see which words lie together.

    Args:
        words: one group per line, "name: word, word ..." or just the words (at most 200)
        method: "pca-2d" or "pca-3d"
        model: "glove-6b-50d", or a Word2Vec trained here

    Returns:
        {words, groups, coordinates [words, 2 or 3], explained (variance share per axis), similarity [words, words],
        notes (what was left out)}; and the projection for the page.
    """
    if method not in METHODS:
        raise InputError.of("embeddings.bad_method", method=method, choices=", ".join(METHODS))
    vectors = load_model(registry, model, progress)
    projection, groups, notes = vectors.project_groups(parse_groups(words), METHODS[method])
    answer = {"words": projection.labels, "groups": groups, "coordinates": projection.coordinates.round(4).tolist(),
              "explained": projection.explained.round(4).tolist(), "similarity": projection.similarity.round(4).tolist(),
              "notes": [in_user_language(note) for note in notes]}
    return answer, (projection, groups)


def neighbours_view(word: str, answer: list[dict]):
    return neighbours_figure((word or "").strip(), [Neighbour(row["word"], row["similarity"]) for row in answer])


def projection_views(drawn: tuple, answer: dict):
    """The projection, its similarity matrix, and the notes on what was left out."""
    projection, groups = drawn
    return (projection_figure(projection, groups, say("embeddings.plot.projection", count=len(projection.labels))),
            similarity_figure(projection, say("embeddings.plot.similarity")),
            "\n\n".join(f"ℹ️ {note}" for note in answer["notes"]))


def preset_words(preset: str):
    return gr.skip() if preset not in PRESETS else PRESETS[preset]


@user_errors
def sentences(registry: ModelRegistry, text: str, method: str, progress=gr.Progress()):
    """Compare sentences by meaning: MiniLM's sentence vectors of each line, projected (PCA), and their cosine
    similarities.

    Args:
        text: the sentences, one a line (2 to 50; repeated lines count once)
        method: "pca-2d" or "pca-3d"

    Returns:
        The projection plot and the cosine similarity matrix plot (plotly figures).
    """
    lines = list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))
    if len(lines) < 2:
        raise InputError.of("embeddings.too_few_sentences")
    if len(lines) > MAX_SENTENCES:
        gr.Warning(say("embeddings.sentences_capped", count=len(lines), limit=MAX_SENTENCES))
        lines = lines[:MAX_SENTENCES]
    encoder = load_model(registry, MINILM, progress)
    projection = project_vectors(encoder.embed(lines).vectors, lines, METHODS.get(method, 2))
    return (projection_figure(projection, [""] * len(lines), say("embeddings.plot.sentences", count=len(lines))),
            similarity_figure(projection, say("embeddings.plot.sentence_similarity")))


def watched_words(text: str) -> list[str]:
    words = list(dict.fromkeys(word.lower() for group in parse_groups(text) for word in group.words))
    if len(words) > MAX_WATCHED:
        raise InputError.of("embeddings.too_many_watched", count=len(words), limit=MAX_WATCHED)
    return words


def snapshot_table(snapshots: list[Snapshot], watched: list[str], glove: WordVectors | None) -> gr.Dataframe:
    """One row per watched word: its nearest words at each epoch so far, and GloVe's."""
    headers = [say("embeddings.column.word")] + [say("embeddings.column.epoch", epoch=s.epoch) for s in snapshots]
    rows = [[word] + [", ".join(s.neighbours[word]) for s in snapshots] for word in watched]
    if glove is not None:
        headers.append(say("embeddings.column.glove"))
        for row, word in zip(rows, watched):
            row.append(", ".join(n.word for n in glove.neighbours(word, len(snapshots[0].neighbours[word])))
                       if word in glove else "—")
    return gr.Dataframe(rows, headers=headers, visible=True)


def analogy_summary(trained: WordVectors, glove: WordVectors) -> str:
    """Top-1 accuracy on the studio's analogy set, on the items both models know."""
    items = [item for item in analogy_items()
             if all(word in trained for word in (item.a, item.b, item.c, item.expected))]
    mine, theirs = score(trained, items), score(glove, items)
    return say("embeddings.word2vec.analogies", items=len(items), trained=mine.correct, glove=theirs.correct,
               trained_share=100 * mine.accuracy, glove_share=100 * theirs.accuracy)


@user_errors
def train_word2vec(registry: ModelRegistry, watched: str, epochs: int, progress=gr.Progress()):
    """Train skip-gram Word2Vec on the BBC News corpus; yields (loss plot, neighbours table, status) as it goes."""
    words = watched_words(watched)
    defaults = TASKS["word2vec"].defaults
    config = TrainConfig("word2vec", "skipgram", defaults.optimizer, defaults.learning_rate, defaults.batch_size,
                         int(epochs))
    glove = load_model(registry, GLOVE, progress)
    points: list[Point] = []
    snapshots: list[Snapshot] = []
    stop = threading.Event()
    finished: dict = {}

    def work():
        try:
            finished["result"] = train_watching(words, config, points.append, snapshots.append, stop.is_set)
        except Exception as error:  # said by @user_errors once the generator sees it
            finished["error"] = error

    worker = threading.Thread(target=work, name="word2vec", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(TRAIN_POLL_SECONDS)
            last = points[-1] if points else None
            progress((last.epoch / config.epochs) if last else 0,
                     desc=in_user_language(Phrase("embeddings.word2vec.epoch", epoch=int(last.epoch) if last else 0,
                                                  epochs=config.epochs)))
            if snapshots:
                yield word2vec_loss_figure(points), snapshot_table(snapshots, words, None), gr.skip()
        if "error" in finished:
            raise finished["error"]
        outcome, trained = finished["result"]
        status = say(f"training.status.{outcome.status}")
        yield (word2vec_loss_figure(points), snapshot_table(snapshots, words, glove),
               f"**{status}** · {analogy_summary(trained, glove)}")
    finally:
        stop.set()  # the page left or Stop was pressed: the thread ends at its next step


# ----------------------------------------------------------------------------------------------
# Layout

def build(registry: ModelRegistry) -> None:
    choices = model_choices(registry, "embedding")
    chosen = choices[0][1] if choices else None
    with gr.Tab(t("embeddings.tab"), id="embeddings") as tab:
        gr.Markdown(t("embeddings.intro"))
        model = gr.Dropdown(choices, value=chosen, label=t("embeddings.model"), elem_id="embeddings-model")
        with gr.Row():
            with gr.Column():
                gr.Markdown(t("embeddings.neighbours_heading"))
                with gr.Row():
                    word = gr.Textbox(value="cat", label=t("embeddings.word"), elem_id="embeddings-word", scale=3)
                    k = gr.Slider(1, MAX_NEIGHBOURS, value=10, step=1, label=t("embeddings.k"), scale=2)
                find = gr.Button(t("embeddings.find"), variant="primary")
                neighbour_plot = gr.Plot(label=t("embeddings.neighbours"), elem_id="embeddings-neighbours")
            with gr.Column():
                gr.Markdown(t("embeddings.analogy_heading"))
                with gr.Row():
                    a = gr.Textbox(value="man", label=t("embeddings.a"), elem_id="embeddings-a")
                    b = gr.Textbox(value="king", label=t("embeddings.b"), elem_id="embeddings-b")
                    c = gr.Textbox(value="woman", label=t("embeddings.c"), elem_id="embeddings-c")
                with gr.Row():
                    answers = gr.Slider(1, 20, value=5, step=1, label=t("embeddings.k"), scale=2)
                    solve = gr.Button(t("embeddings.solve"), variant="primary", scale=1)
                analogy_plot = gr.Plot(label=t("embeddings.analogy"), elem_id="embeddings-analogy")
        with gr.Accordion(t("embeddings.json"), open=False, elem_classes=["developer"]):
            with gr.Row():  # one per query, so the three drawn when the tab opens never share one
                neighbour_json = gr.JSON(label=t("embeddings.neighbours"))
                analogy_json = gr.JSON(label=t("embeddings.analogy"))
                projection_json = gr.JSON(label=t("embeddings.projection"))

        gr.Markdown(t("embeddings.projection_heading"))
        with gr.Row():
            with gr.Column(scale=2):
                preset = gr.Dropdown([(t(f"embeddings.preset.{name}"), name) for name in PRESETS]
                                     + [(t("embeddings.preset.own"), "own")], value="capitals",
                                     label=t("embeddings.preset"), elem_id="embeddings-preset")
                words = gr.Textbox(value=PRESETS["capitals"], lines=5, label=t("embeddings.words"),
                                   info=t("embeddings.words_info"), elem_id="embeddings-words")
                method = gr.Radio([(t(f"embeddings.method.{name}"), name) for name in METHODS], value="pca-2d",
                                  label=t("embeddings.method"))
                draw = gr.Button(t("embeddings.draw"), variant="primary")
                notes = gr.Markdown(elem_id="embeddings-notes")
            projection_plot = gr.Plot(label=t("embeddings.projection"), elem_id="embeddings-projection", scale=3)
        similarity_plot = gr.Plot(label=t("embeddings.similarity"), elem_id="embeddings-similarity")

        with gr.Accordion(t("embeddings.sentences_heading"), open=False):
            gr.Markdown(t("embeddings.sentences_intro"))
            with gr.Row():
                with gr.Column():
                    sentence_text = gr.Textbox(value=SENTENCES, lines=6, label=t("embeddings.sentences"),
                                               elem_id="embeddings-sentences")
                    sentence_method = gr.Radio([(t(f"embeddings.method.{name}"), name) for name in METHODS],
                                               value="pca-2d", label=t("embeddings.method"))
                    compare = gr.Button(t("embeddings.compare"), variant="primary")
                sentence_plot = gr.Plot(label=t("embeddings.projection"), elem_id="embeddings-sentence-projection")
            sentence_similarity = gr.Plot(label=t("embeddings.similarity"), elem_id="embeddings-sentence-similarity")

        with gr.Accordion(t("embeddings.word2vec_heading"), open=False):
            gr.Markdown(t("embeddings.word2vec_intro"))
            with gr.Row():
                watched = gr.Textbox(value=WATCHED, label=t("embeddings.watched"), elem_id="embeddings-watched",
                                     scale=3)
                epochs = gr.Slider(1, 10, value=TASKS["word2vec"].defaults.epochs, step=1,
                                   label=t("embeddings.epochs"), scale=1)
            with gr.Row():
                train = gr.Button(t("embeddings.train"), variant="primary", scale=3)
                stop = gr.Button(t("embeddings.stop"), scale=1)
            status = gr.Markdown(elem_id="embeddings-word2vec-status")
            loss_plot = gr.Plot(label=t("embeddings.loss"), elem_id="embeddings-loss")
            epoch_table = gr.Dataframe(visible=False, interactive=False, wrap=True, elem_id="embeddings-epochs")
        concepts.note("embeddings")

        drawn = gr.State()
        found = gr.State()
        # the defaults are drawn when the tab opens, then on each request
        (gr.on([tab.select, find.click, word.submit], bind(neighbors, registry), [word, k, model], neighbour_json,
               api_name=ENDPOINTS["neighbors"], **model_queue("neighbors"))
            .success(neighbours_view, [word, neighbour_json], neighbour_plot, api_visibility="private"))
        (gr.on([tab.select, solve.click], bind(analogy, registry), [a, b, c, answers, model], [analogy_json, found],
               api_name=ENDPOINTS["analogy"], **model_queue("analogy"))
            .success(analogy_figure, found, analogy_plot, api_visibility="private"))
        preset.input(preset_words, preset, words, api_visibility="private", show_progress="hidden")
        (gr.on([tab.select, draw.click], bind(project, registry), [words, method, model], [projection_json, drawn],
               api_name=ENDPOINTS["project"], **model_queue("project"))
            .success(projection_views, [drawn, projection_json], [projection_plot, similarity_plot, notes],
                     api_visibility="private"))
        compare.click(bind(sentences, registry), [sentence_text, sentence_method], [sentence_plot, sentence_similarity],
                      api_name=ENDPOINTS["sentences"], **model_queue("sentences"))
        training = train.click(bind(train_word2vec, registry), [watched, epochs], [loss_plot, epoch_table, status],
                               api_visibility="private", **TRAIN_QUEUE)
        stop.click(None, cancels=[training], api_visibility="private")
