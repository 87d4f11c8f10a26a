"""Bad sizes for every topic: the config names the limit, and the CLI refuses them in one line, exit 2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch

import render
from driver import registry
from tensors.common import ConfigError

# (topic, config fields, the message's words); None: a valid edge case that must be accepted
CONFIG_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ('batches', {'small_batch': 3}, '--n-samples 40 is not divisible by --small-batch 3'),
    ('batches', {'large_batch': 7}, '--n-samples 40 is not divisible by --large-batch 7'),
    ('batches', {'small_batch': 8}, '--small-batch 8 must be smaller than --large-batch 8'),
    ('batches', {'small_batch': 2}, 'gives 20 updates per epoch: the step table draws at most 10'),
    ('batches', {'n_samples': 48, 'small_batch': 6, 'large_batch': 4}, '--small-batch 6 must be smaller'),
    ('batches', {'n_samples': 64, 'small_batch': 8, 'large_batch': 16}, None),
    ('batches', {'n_samples': 20, 'small_batch': 4, 'large_batch': 20}, 'puts all 20 samples in one batch'),
    ('batches', {'n_samples': 7}, '--n-samples 7 is too small: the minimum is 8'),
    ('batches', {'epochs': 11}, '--epochs 11 is too large: the limit is 10'),
    ('batches', {'d_in': 4}, '--d-in 4 is too large'),
    ('batches', {'d_out': 3}, '--d-out 3 is too large'),
    ('batches', {'seed': -1}, '--seed must be 0 or more'),
    ('bmm', {'shown': 4, 'batch': 3}, '--shown 4 is more than --batch 3'),
    ('bmm', {'rows': 5}, '--rows 5 is too large: the limit is 4'),
    ('bmm', {'batch': 1}, '--batch 1 is too small: the minimum is 2'),
    ('bmm', {'shown': 0}, 'minimum is 1'),
    ('bmm', {'lead_y': 1}, '--lead-y 1 is too small'),
    ('bmm', {'att_len': 6}, '--att-len 6 is too large'),
    ('bmm', {'batch': 33}, 'limit is 32 (a bigger batch adds nothing'),
    ('cnn', {'size': 7}, '--size 7 gives a 5x5 feature map that --pool 2 does not tile'),
    ('cnn', {'size': 6, 'pool': 3}, '--size 6 gives a 4x4 feature map that --pool 3 does not tile'),
    ('cnn', {'size': 9}, '--size 9 is too large: the limit is 8'),
    ('cnn', {'size': 4}, 'minimum is 5'),
    ('cnn', {'batch': 1}, '--batch 1 is too small: the minimum is 2'),
    ('cnn', {'batch': 5}, 'limit is 4 (there are four patterns'),
    ('cnn', {'pool': 4}, '--pool 4 is too large'),
    ('cnn', {'seed': -1}, '--seed must be 0 or more'),
    ('ffn', {'seq_len': 3, 'position': 4}, '--position 4 is beyond the sequence: --seq-len is 3'),
    ('ffn', {'d_model': 5}, '--d-model 5 is too large: the limit is 4'),
    ('ffn', {'seq_len': 1, 'position': 1}, '--seq-len 1 is too small: the minimum is 2'),
    ('ffn', {'position': 0}, '--position 0 is too small: the minimum is 1'),
    ('ffn', {'big_d_model': 4096}, '--big-d-model 4096 is too large: the limit is 2048'),
    ('ffn', {'seed': -1}, '--seed must be 0 or more'),
    ('fixed', {'d_model': 3}, '--d-model 3 is odd'),
    ('fixed', {'d_model': 6}, '--d-model 6 is too large: the limit is 4'),
    ('fixed', {'vocab': 9}, '--vocab 9 is too large: the limit is 8'),
    ('fixed', {'vocab': 2}, '--vocab 2 is too small'),
    ('fixed', {'vocab': 6, 'big_vocab': 6}, '--big-vocab 6 must be larger than --vocab 6'),
    ('fixed', {'big_vocab': 300000}, '--big-vocab 300000 is too large'),
    ('heads', {'heads': 4, 'head_size': 3}, '--heads 4 x --head-size 3 = 12 columns of W^q is too many: the limit is 8'),
    ('heads', {'seq_len': 4, 'd_model': 5, 'heads': 4}, 'too wide: E, W^q_h and the 4 products'),
    ('heads', {'d_model': 6}, 'limit is 5'),
    ('heads', {'seq_len': 5, 'd_model': 5}, '--seq-len 5 with --d-model 5 is too large: L + D is at most 9'),
    ('heads', {'seq_len': 1}, 'minimum is 2'),
    ('heads', {'heads': 0}, 'minimum is 1'),
    ('heads', {'big_d_model': 2048}, 'limit is 1024'),
    ('kernels', {'d_model': 7, 'heads': 2}, '--d-model 7 is not divisible by --heads 2'),
    ('kernels', {'kernel_size': 4, 'image_size': 6}, '--image-size 6 is too small for two stacked --kernel-size 4 layers'),
    ('kernels', {'kernels': 4}, '--kernels 4 is too large: the limit is 3 (only three kernels are designed)'),
    ('kernels', {'image_size': 9}, '--image-size 9 is too large: the limit is 7'),
    ('kernels', {'seq_len': 1}, '--seq-len 1 is too small: the minimum is 2'),
    ('kernels', {'heads': 4, 'd_model': 8}, '--heads 4 is too large: the limit is 3'),
    ('positional', {'d_model': 3}, '--d-model 3 is odd'),
    ('positional', {'d_model': 6}, '--d-model 6 is too large: the limit is 4'),
    ('positional', {'pe_dims': 63}, '--pe-dims 63 is odd'),
    ('positional', {'probe': 48, 'shift': 2}, '--probe 48 plus --shift 2 is past the last position 49'),
    ('positional', {'positions': 8, 'shift': 8, 'probe': 0}, 'past the last position 7'),
    ('positional', {'seq_len': 6}, '--seq-len 6 is too large: the limit is 5'),
    ('positional', {'seq_len': 1}, '--seq-len 1 is too small: the minimum is 2'),
    ('positional', {'pe_dims': 1024}, 'limit is 512 (one pixel per value'),
    ('positional', {'shift': 0}, '--shift 0 is too small: the minimum is 1'),
    ('scaling', {'d_small': 8, 'd_medium': 8}, '--d-medium 8 must be larger than --d-small 8'),
    ('scaling', {'d_medium': 200, 'd_large': 200}, '--d-large 200 must be larger than --d-medium 200'),
    ('scaling', {'d_medium': 600}, '--d-medium 600 is too large: the limit is 512'),
    ('scaling', {'d_small': 9}, '--d-small 9 is too large: the limit is 8'),
    ('scaling', {'d_small': 1}, '--d-small 1 is too small: the minimum is 2'),
    ('scaling', {'d_large': 2048}, '--d-large 2048 is too large: the limit is 1024'),
    ('scaling', {'samples': 100}, '--samples 100 is too small: the minimum is 2000'),
    ('scaling', {'samples': 50000}, '--samples 50000 is too large: the limit is 30000'),
    ('scaling', {'bins': 80}, '--bins 80 is too large: the limit is 41'),
    ('scaling', {'keys': 11}, '--keys 11 is too large: the limit is 10'),
    ('scaling', {'seed': -1}, '--seed must be 0 or more'),
    ('sharing', {'batch': 1}, '--batch 1 is too small: the minimum is 2'),
    ('sharing', {'batch': 5}, '--batch 5 is too large: the limit is 4'),
    ('sharing', {'seq_len': 1}, '--seq-len 1 is too small'),
    ('sharing', {'d_model': 5}, '--d-model 5 is too large: the limit is 4'),
    ('sharing', {'big_d_model': 9000}, 'limit is 8192'),
    ('sharing', {'big_batch': 2048}, '--big-batch 2048 is too large'),
    ('sharing', {'seed': -1}, '--seed must be 0 or more'),
    ('softmax', {'seq_len': 3, 'query': 4}, '--query 4 is beyond the sequence: --seq-len is 3'),
    ('softmax', {'seq_len': 7}, '--seq-len 7 is too large: the limit is 6'),
    ('softmax', {'seq_len': 1, 'query': 1}, '--seq-len 1 is too small: the minimum is 2'),
    ('softmax', {'d_k': 6}, '--d-k 6 is too large: the limit is 5'),
    ('softmax', {'d_k': 1}, '--d-k 1 is too small: the minimum is 2'),
    ('softmax', {'query': 0}, '--query 0 is too small: the minimum is 1'),
    ('softmax', {'seed': -1}, '--seed must be 0 or more'),
    ('split', {'d_model': 4, 'heads': 3}, '--d-model 4 is not divisible by --heads 3'),
    ('split', {'d_model': 3, 'heads': 2}, '--d-model 3 is not divisible by --heads 2'),
    ('split', {'d_model': 6, 'heads': 3}, '--d-model 6 is too large: the limit is 4'),
    ('split', {'heads': 1}, '--heads 1 is too small: the minimum is 2'),
    ('split', {'seq_len': 1}, '--seq-len 1 is too small: the minimum is 2'),
    ('split', {'seq_len': 5}, '--seq-len 5 is too large: the limit is 4'),
    ('split', {'seed': -1}, '--seed must be 0 or more'),
    ('subspaces', {'query': 5}, '--query 5 is past the end of the sentence: --seq-len is 4'),
    ('subspaces', {'seq_len': 3}, '--key 4 is past the end of the sentence: --seq-len is 3, so pick --key 1 to 3'),
    ('subspaces', {'query': 4, 'key': 4}, 'are the same word'),
    ('subspaces', {'seq_len': 6}, '--seq-len 6 is too large: the limit is 5'),
    ('subspaces', {'d_model': 1}, '--d-model 1 is too small: the minimum is 2'),
    ('subspaces', {'key': 0}, '--key 0 is too small: the minimum is 1'),
    ('fixed', {'d_model': 2}, '--d-model 2 is too small to train'),
    ('fixed', {'vocab': 4}, '--vocab 4 is too small: the minimum is 5'),
    ('subspaces', {'d_model': 3}, 'the trained model has D = 4'),
    ('split', {'seq_len': 4, 'd_model': 3, 'heads': 3}, '--seq-len 4 with --heads 3 is too large: the limit is 3'),
    ('kernels', {'d_model': 3, 'heads': 1}, '--d-model 3 is too small: the minimum is 4'),
]

# (topic, command-line arguments, the message's words)
CLI_CASES: list[tuple[str, list[str], str]] = [
    ('batches', ['--small-batch', '3'], '--n-samples 40 is not divisible by --small-batch 3'),
    ('batches', ['--large-batch', '4'], '--small-batch 4 must be smaller than --large-batch 4'),
    ('batches', ['--n-samples', '100'], '--n-samples 100 is too large: the limit is 64'),
    ('batches', ['--epochs', '1'], '--epochs 1 is too small'),
    ('batches', ['--d-in', '0'], '--d-in 0 is too small'),
    ('bmm', ['--shown', '4', '--batch', '2'], '--shown 4 is more than --batch 2'),
    ('bmm', ['--cols', '9'], '--cols 9 is too large: the limit is 5'),
    ('bmm', ['--inner', '1'], '--inner 1 is too small: the minimum is 2'),
    ('bmm', ['--att-heads', 'x'], "'x' is not a valid integer"),
    ('cnn', ['--size', '7'], '--size 7 gives a 5x5 feature map that --pool 2 does not tile'),
    ('cnn', ['--batch', '6'], '--batch 6 is too large: the limit is 4'),
    ('cnn', ['--pool', '1'], '--pool 1 is too small: the minimum is 2'),
    ('cnn', ['--size', 'six'], "'six' is not a valid integer"),
    ('ffn', ['--seq-len', '3', '--position', '5'], '--position 5 is beyond the sequence: --seq-len is 3'),
    ('ffn', ['--d-model', '8'], '--d-model 8 is too large: the limit is 4 (the d_ff = 4 D hidden units'),
    ('ffn', ['--big-d-model', '4'], '--big-d-model 4 is too small: the minimum is 8'),
    ('ffn', ['--position', 'two'], "'two' is not a valid integer"),
    ('fixed', ['--d-model', '3'], '--d-model 3 is odd'),
    ('fixed', ['--vocab', '5', '--big-vocab', '4'], 'must be larger than --vocab 5'),
    ('fixed', ['--vocab', '12'], 'the limit is 8'),
    ('fixed', ['--seed', '-1'], '--seed must be 0 or more'),
    ('kernels', ['--d-model', '8', '--heads', '3'], '--d-model 8 is not divisible by --heads 3'),
    ('kernels', ['--kernel-size', '4', '--image-size', '5'], 'it must be at least 7'),
    ('kernels', ['--kernels', '0'], '--kernels 0 is too small: the minimum is 1'),
    ('kernels', ['--image-size', 'x'], "'x' is not a valid integer"),
    ('sharing', ['--batch', '9'], '--batch 9 is too large: the limit is 4'),
    ('sharing', ['--d-model', '0'], '--d-model 0 is too small'),
    ('sharing', ['--seq-len', '7'], '--seq-len 7 is too large'),
    ('sharing', ['--big-batch', '1'], '--big-batch 1 is too small'),
    ('sharing', ['--big-d-model', '100000'], '--big-d-model 100000 is too large'),
    ('softmax', ['--seq-len', '3', '--query', '5'], '--query 5 is beyond the sequence: --seq-len is 3'),
    ('softmax', ['--d-k', '9'], '--d-k 9 is too large: the limit is 5 (weights, V and the weighted rows'),
    ('softmax', ['--seq-len', '1'], '--seq-len 1 is too small: the minimum is 2'),
    ('softmax', ['--query', 'first'], "'first' is not a valid integer"),
    ('split', ['--d-model', '4', '--heads', '3'], '--d-model 4 is not divisible by --heads 3'),
    ('split', ['--heads', '1'], '--heads 1 is too small: the minimum is 2'),
    ('split', ['--d-model', '8', '--heads', '2'], '--d-model 8 is too large: the limit is 4'),
    ('subspaces', ['--query', '5'], '--query 5 is past the end of the sentence'),
    ('subspaces', ['--query', '3', '--key', '3'], '--query 3 and --key 3 are the same word'),
    ('subspaces', ['--d-model', '9'], '--d-model 9 is too large: the limit is 5'),
    ('subspaces', ['--seq-len', '3'], '--key 4 is past the end of the sentence'),
    ('scaling', ['--d-small', '8', '--d-medium', '8'], '--d-medium 8 must be larger than --d-small 8'),
    ('scaling', ['--samples', '99999'], '--samples 99999 is too large: the limit is 30000'),
    ('scaling', ['--keys', '3'], '--keys 3 is too small: the minimum is 4'),
    ('positional', ['--d-model', '3'], '--d-model 3 is odd: the encoding needs (sin, cos) pairs'),
    ('positional', ['--probe', '10', '--shift', '5', '--positions', '12'], '--probe 10 plus --shift 5 is past the last position 11'),
    ('positional', ['--positions', '4'], '--positions 4 is too small: the minimum is 8'),
]


@pytest.mark.parametrize("name,kwargs,needle", CONFIG_CASES)
def test_config_validation_names_the_limit(name: str, kwargs: dict[str, Any], needle: str | None) -> None:
    lecture = registry.get(name).lecture()
    if needle is None:
        lecture.config(**kwargs).validate()
        return
    with pytest.raises(ConfigError, match=re.escape(needle)):
        lecture.config(**kwargs).validate()
    with pytest.raises(ConfigError):  # build() validates too, before any tensor is made
        lecture.build(lecture.config(**kwargs), torch.device("cpu"))


@pytest.mark.parametrize("name,args,needle", CLI_CASES)
def test_cli_rejects_bad_sizes(name: str, args: list[str], needle: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = render.main([name, *args, "--device", "cpu", "--output-dir", str(out)])
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], captured.err
    assert captured.out == "" and not out.exists()
