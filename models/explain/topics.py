"""Attributions for the topic classifier of the Training tab's "text" task: which words made a sentence's topic.

The classifier is the task's own MiniLM variant (models/training/tasks/topics.py: the packaged MiniLM, mean-pooled,
into a linear head over the four topics). The Training tab does not keep a finished "text" run's weights, so the
model explained here is that classifier with the pretrained encoder as packaged and its head trained on the task's
220 sentences (frozen sentence vectors, L-BFGS: seconds), once per process.
f is the class's log-probability, a function of the word-piece embedding rows [1, pieces, 384] (MiniLM adds the
position and segment embeddings and normalises on top). The baseline keeps [CLS] and [SEP] and puts [PAD]'s row
in every other place, the usual baseline for BERT-style encoders.
"""
import threading
import time
from dataclasses import dataclass

import torch
from torch import nn

from models.errors import InputError
from models.explain.methods import AttributionOptions, check_method
from models.explain.sequence import SequenceAttribution, end_values, token_faithfulness, token_scores
from models.explain.threads import pass_threads
from models.language.sentence_encoder import packaged_minilm_folder
from models.libraries import IMPORT_LOCK
from models.limits import LIMITS
from models.training.tasks.topics import PretrainedTextClassifier, _mean_over_tokens, topics

TOPIC_MODEL = "minilm-topics"  # the `model` name of the packaged MiniLM with its trained head
OPTIONS = AttributionOptions(steps=16, max_steps=64)
HEAD_ITERATIONS = 100  # L-BFGS iterations for the head
HEAD_WEIGHT_DECAY = 1e-3
MAX_PIECES = LIMITS.sentence_tokens

_trained: dict[str, "TopicClassifier"] = {}
_training = threading.Lock()


@dataclass(frozen=True)
class TopicClassifier:
    network: PretrainedTextClassifier  # .pretrained: MiniLM, .head: [classes, 384]
    tokenizer: object
    classes: list[str]
    training_accuracy: float  # the head's accuracy on the 220 sentences it was fitted to

    def log_probabilities(self, class_index: int, attention_mask: torch.Tensor):
        """f: piece rows [batch, pieces, 384] → the class's log-probability, [batch]."""
        def forward(rows: torch.Tensor) -> torch.Tensor:
            mask = attention_mask.expand(rows.shape[0], -1)
            hidden = self.network.pretrained(inputs_embeds=rows, attention_mask=mask).last_hidden_state
            return self.network.head(_mean_over_tokens(hidden, mask)).float().log_softmax(-1)[:, class_index]

        return forward


def topic_classifier() -> TopicClassifier:
    """The packaged MiniLM with a head fitted to the "text" task's sentences (fitted on first use)."""
    with _training:
        if TOPIC_MODEL not in _trained:
            _trained[TOPIC_MODEL] = fitted_classifier()
        return _trained[TOPIC_MODEL]


def fitted_classifier() -> TopicClassifier:
    data = topics()
    network = PretrainedTextClassifier(len(data.classes)).eval()
    ids, mask = data.inputs
    with torch.no_grad():
        vectors = _mean_over_tokens(network.pretrained(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
    optimizer = torch.optim.LBFGS(network.head.parameters(), max_iter=HEAD_ITERATIONS, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        value = nn.functional.cross_entropy(network.head(vectors), data.targets) \
            + HEAD_WEIGHT_DECAY * network.head.weight.square().sum()
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    network.requires_grad_(False)
    with torch.inference_mode():
        accuracy = float((network.head(vectors).argmax(-1) == data.targets).float().mean())
    with IMPORT_LOCK:
        from transformers import AutoTokenizer
    return TopicClassifier(network, AutoTokenizer.from_pretrained(packaged_minilm_folder()), data.classes, accuracy)


def attribute_topic(classifier: TopicClassifier, text: str, target: str | None = None,
                    method: str = "integrated-gradients", options: AttributionOptions = OPTIONS) -> SequenceAttribution:
    """`method`'s score of each word piece of `text` for the topic `target` (default: the predicted one)."""
    check_method(method)
    if not text.strip():
        raise InputError.of("explain.empty_input")
    if target and target not in classifier.classes:
        raise InputError.of("explain.unknown_class", label=target)
    started = time.perf_counter()
    encoded = classifier.tokenizer(text, return_tensors="pt")
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    if ids.shape[1] > MAX_PIECES:
        raise InputError.of("explain.too_long", count=ids.shape[1], limit=MAX_PIECES)
    embed = classifier.network.pretrained.get_input_embeddings()
    special = torch.tensor(classifier.tokenizer.get_special_tokens_mask(ids[0].tolist(), already_has_special_tokens=True),
                           dtype=torch.bool)
    with torch.inference_mode():
        rows = embed(ids)
        baseline = torch.where(special[None, :, None], rows, embed(torch.full_like(ids, classifier.tokenizer.pad_token_id)))
        probabilities = classifier.network(ids, mask)[0].float().softmax(-1)
    rows, baseline = rows.clone(), baseline.clone()  # out of inference mode, so autograd can use them
    class_index = classifier.classes.index(target) if target else int(probabilities.argmax())
    forward = classifier.log_probabilities(class_index, mask)
    with pass_threads():
        ends = end_values(forward, rows, baseline)
        found = token_scores(method, forward, rows, baseline, options, ends[0] - ends[1])
        check = token_faithfulness(forward, rows, baseline, found.scores, options, ends)
    return SequenceAttribution(method, classifier.tokenizer.convert_ids_to_tokens(ids[0].tolist()),
                            classifier.classes[class_index], float(probabilities[class_index]),
                            ends[0] - ends[1], found.scores, found.steps, check,
                            time.perf_counter() - started)
