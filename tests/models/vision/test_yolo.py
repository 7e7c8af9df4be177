"""yolov3-tiny read from the packaged Darknet files: every float used, the photos scikit-image ships found where a
person marks them, greedy NMS, and coordinates in the photo as it is shown (EXIF orientation applied)."""
import io

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from models.errors import InputError, ModelUnavailable
from models.vision.darknet import CFG, WEIGHTS, Darknet, load_weights, package_files, parse_cfg
from models.vision.detector import DetectOptions, decode, iou_matrix, load_detector, non_max_suppression

PARAMETERS = 8_852_366  # convolution kernels and biases, batch-norm gammas and betas
RUNNING_STATISTICS = 6_368  # batch-norm means and variances: 2 × the 3,184 normalised channels
THRESHOLD = 0.2  # the photos' objects score 0.27–0.84 at the default input size
# Marked by hand on the photos (x0, y0, x1, y1 in their pixels), looking at each with a 50-pixel grid drawn on it.
HAND_MARKED = {
    "coffee": ("cup", (172, 17, 410, 300)),  # the cup from its rim to the bottom of its handle, saucer and spoon left out
    "astronaut": ("person", (20, 15, 365, 512)),  # hair to the bottom edge, left arm to right shoulder; helmet left out
    "motorcycle": ("motorbike", (92, 65, 683, 450)),  # tail light to front tyre, mirrors to the tyres' contact
}
PHOTOS = {"coffee": data.coffee, "astronaut": data.astronaut, "motorcycle": lambda: data.stereo_motorcycle()[0]}


@pytest.fixture(scope="module")
def detector():
    return load_detector("package:yolov3-tiny", torch.device("cpu"))


def jpeg(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, **options)
    return buffer.getvalue()


def test_the_weights_file_fills_every_parameter_and_nothing_is_left(detector):
    network = detector.network
    assert sum(parameter.numel() for parameter in network.parameters()) == PARAMETERS
    floats = (len((package_files() / WEIGHTS).read_bytes()) - 20) // 4
    assert floats == PARAMETERS + RUNNING_STATISTICS
    assert load_weights(Darknet(parse_cfg((package_files() / CFG).read_text())),
                        (package_files() / WEIGHTS).read_bytes()) == floats


def test_a_weights_file_that_does_not_match_the_cfg_is_refused():
    weights = (package_files() / WEIGHTS).read_bytes()
    network = Darknet(parse_cfg((package_files() / CFG).read_text()))
    with pytest.raises(ModelUnavailable, match="darknet_weights"):
        load_weights(network, weights + bytes(4))  # one float too many
    with pytest.raises(ModelUnavailable, match="darknet_weights"):
        load_weights(network, weights[:-4])


@pytest.mark.parametrize("photo", sorted(HAND_MARKED))
def test_the_photos_objects_are_found_where_a_person_marks_them(detector, photo):
    label, marked = HAND_MARKED[photo]
    found = [box for box in detector.detect(PHOTOS[photo](), DetectOptions(THRESHOLD)).boxes if box.label == label]
    assert found, f"no {label} in {photo}"
    overlap = iou_matrix(np.array([found[0].box]), np.array([marked]))[0, 0]
    assert overlap >= 0.5, f"{label}: {found[0].box} vs marked {marked}, IoU {overlap:.2f}"


def test_the_step_through_keeps_every_candidate_and_says_what_suppressed_each(detector):
    detection = detector.detect(PHOTOS["motorcycle"](), DetectOptions(threshold=0.05, iou=0.45))
    scores = [candidate.score for candidate in detection.candidates]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.05
    assert len(detection.boxes) < len(detection.candidates)  # some were suppressed
    for candidate in detection.candidates:
        grid = detection.grids[candidate.grid]
        assert 0 <= candidate.row < grid.rows and 0 <= candidate.column < grid.columns
        if not candidate.kept:
            keeper = detection.candidates[candidate.suppressed_by]
            assert keeper.kept and keeper.class_index == candidate.class_index and keeper.score >= candidate.score
            assert candidate.iou > 0.45
            assert candidate.iou == pytest.approx(iou_matrix(np.array([candidate.box]), np.array([keeper.box]))[0, 0])
    assert [(grid.rows, grid.columns) for grid in detection.grids] == [(10, 10), (20, 20)]  # 320 / 32, 320 / 16


def test_nms_keeps_the_best_box_per_class_and_names_what_removed_the_others():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30], [2, 0, 12, 10]], float)
    classes = np.array([0, 0, 1, 0, 0])  # best first; box 2 overlaps box 0 fully but is another class
    suppressor, overlap = non_max_suppression(boxes, classes, iou=0.5)
    assert suppressor.tolist() == [-1, 0, -1, -1, 0]
    assert overlap[1] == pytest.approx(81 / 119) and overlap[4] == pytest.approx(80 / 120)
    assert non_max_suppression(boxes, classes, iou=0.7)[0].tolist() == [-1, -1, -1, -1, -1]  # 0.68 and 0.67 ≤ 0.7
    assert iou_matrix(boxes[:1], boxes[3:4])[0, 0] == 0


def test_an_exif_rotated_photo_gives_boxes_in_the_photo_as_shown(detector):
    upright = Image.fromarray(data.coffee())  # 600 × 400
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    stored = jpeg(upright.transpose(Image.Transpose.ROTATE_90), exif=exif)  # 400 × 600 as stored
    [cup] = [box for box in detector.detect(stored).boxes if box.label == "cup"]
    [expected] = [box for box in detector.detect(jpeg(upright)).boxes if box.label == "cup"]
    assert detector.detect(stored).letterbox.width == 600
    assert cup.box == pytest.approx(expected.box, abs=3)


def test_a_transparent_photo_is_composited_on_white_and_still_detected(detector):
    photo = Image.fromarray(data.coffee()).convert("RGBA")
    photo.putalpha(200)
    assert "cup" in {box.label for box in detector.detect(photo).boxes}


def test_bad_options_and_images_say_what_is_wrong(detector):
    with pytest.raises(InputError, match="detection.bad_option"):
        detector.detect(data.coffee(), DetectOptions(threshold=0))
    with pytest.raises(InputError, match="detection.bad_side"):
        detector.detect(data.coffee(), DetectOptions(side=300))
    with pytest.raises(InputError, match="image.too_small"):
        detector.detect(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match="image.unreadable"):
        detector.detect(b"not an image")


def test_the_network_computes_what_opencvs_darknet_reader_computes(detector):
    cv2 = pytest.importorskip("cv2")  # OpenCV 4 (test-only): the last version that reads Darknet files
    reference = cv2.dnn.readNetFromDarknet(str(package_files() / CFG), str(package_files() / WEIGHTS))
    batch, _ = detector.to_tensor(Image.fromarray(data.coffee()))
    reference.setInput(batch.numpy())
    expected = reference.forward(reference.getUnconnectedOutLayersNames())  # per head [cells × anchors, 85]
    for output, head, rows in zip(detector.forward(batch), detector.network.heads, expected):
        grid, values = decode(output, head, batch.shape[-1])
        # ours: anchor-major [anchors, rows, columns]; OpenCV's: [rows, columns, anchors]
        reorder = lambda flat: flat.view(len(head.anchors), grid.rows, grid.columns, -1).permute(1, 2, 0, 3).reshape(
            -1, flat.shape[-1]).numpy()  # noqa: E731
        box = reorder(values["box"])
        centre_size = np.c_[(box[:, :2] + box[:, 2:]) / 2, box[:, 2:] - box[:, :2]] / batch.shape[-1]
        np.testing.assert_allclose(centre_size, rows[:, :4], atol=1e-4)
        np.testing.assert_allclose(reorder(values["objectness"][:, None])[:, 0], rows[:, 4], atol=1e-4)
        best = rows[:, 5:].max(1)  # OpenCV: objectness × class probability, zeroed under its own threshold
        shown = best > 0
        np.testing.assert_allclose(reorder(values["score"][:, None])[shown, 0], best[shown], atol=1e-4)
