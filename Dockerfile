# Model Studio, CPU image:   docker build -t model-studio . && docker run -p 7860:7860 model-studio
# CUDA image:               docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 -t model-studio:cuda .
#                           docker run --gpus all -p 7860:7860 model-studio:cuda
FROM python:3.11-slim

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsndfile1 ffmpeg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /studio
COPY requirements.txt requirements-nodeps.txt constraints.txt ./
RUN pip install --no-cache-dir --extra-index-url "$TORCH_INDEX" -r requirements.txt -c constraints.txt \
 && pip install --no-cache-dir --no-deps -r requirements-nodeps.txt

COPY app.py ./
COPY models ./models
COPY studio ./studio
COPY assets ./assets

# Inside a container the port is published by Docker, so bind every interface.
ENV GRADIO_SERVER_NAME=0.0.0.0 GRADIO_SERVER_PORT=7860 HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
EXPOSE 7860
CMD ["python", "app.py"]
