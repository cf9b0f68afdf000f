"""Scheduler evaluation: metrics, SM-2, item filtering, time-ordered folds and the shared log."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import fsrs
import fsrs_rs_python
import pytest
from django.core.management import CommandError, call_command

from quizapp.study import scheduling
from quizapp.study.evaluation import (
    MODEL_NAMES,
    LogTooSmall,
    SM2State,
    evaluate,
    forgetting_curve,
    log_loss,
    predict_fsrs6,
    predict_sm2,
    read_revlog,
    rmse_bin_key,
    rmse_bins,
    roc_auc,
    sm2_interval,
    sm2_review,
    time_series_folds,
)
from quizapp.study.fitting import (
    DEFAULT_PARAMETERS,
    HistoryItem,
    ReviewEvent,
    build_history_items,
)
from quizapp.study.scheduling import ReviewInput, SchedulerConfig
from tests.shared_files import shared_dir

SHARED_LOG = shared_dir() / "data/review-logs/review_logs_josh.csv"
START = datetime(2024, 1, 1, 18, tzinfo=UTC)


def item(*reviews: tuple[int, int], card_id: str = "c", day: int = 0) -> HistoryItem:
    return HistoryItem(card_id, START + timedelta(days=day), tuple(reviews))


def regular_log(*, cards: int = 40, days: int = 20) -> list[ReviewEvent]:
    """Every card reviewed every evening, plus a same-day second look after each Again."""
    events: list[ReviewEvent] = []
    for day in range(days):
        for card in range(cards):
            moment = START + timedelta(days=day, minutes=card)
            rating = 1 if (card + day) % 4 == 0 else 3
            events.append(ReviewEvent(f"card-{card}", rating, moment))
            if rating == 1:
                events.append(ReviewEvent(f"card-{card}", 3, moment + timedelta(minutes=30)))
    return events


class TestLogLoss:
    def test_hand_computed(self) -> None:
        expected = -(math.log(0.9) + math.log(1 - 0.2) + math.log(0.6)) / 3
        assert log_loss([1, 0, 1], [0.9, 0.2, 0.6]) == pytest.approx(expected)

    def test_certain_mistakes_are_clipped_not_infinite(self) -> None:
        assert math.isfinite(log_loss([0, 1], [1.0, 0.0]))

    def test_rejects_mismatched_lengths(self) -> None:
        with pytest.raises(ValueError):
            log_loss([1, 0], [0.5])


class TestAuc:
    def test_ties_count_half(self) -> None:
        # Positive/negative pairs: (0.8 vs 0.8) tie = 0.5, (0.8 vs 0.2) = 1,
        # (0.6 vs 0.8) = 0, (0.6 vs 0.2) = 1  ->  2.5 / 4.
        assert roc_auc([1, 0, 1, 0], [0.8, 0.8, 0.6, 0.2]) == pytest.approx(0.625)

    def test_perfect_and_constant(self) -> None:
        assert roc_auc([0, 0, 1], [0.1, 0.2, 0.9]) == pytest.approx(1.0)
        assert roc_auc([0, 1, 1, 0], [0.7] * 4) == pytest.approx(0.5)

    def test_undefined_for_one_class(self) -> None:
        assert roc_auc([1, 1], [0.3, 0.9]) is None


class TestRmseBins:
    def test_bin_key_hand_computed(self) -> None:
        # delta_t 1: 2.48 * 3.62**0 = 2.48 -> 248; i = 1 long-term review + 1 = 2:
        # 1.99 * 1.89**floor(log 2 / log 1.89 = 1.09) = 3.76 -> 4; no lapses -> 0.
        assert rmse_bin_key([(3, 0), (3, 1)]) == (248, 4, 0)
        # delta_t 12: floor(log 12 / log 3.62 = 1.93) = 1 -> 8.9776 -> 898;
        # i = 3 + 1 = 4: floor(log 4 / log 1.89 = 2.18) = 2 -> 1.99 * 3.5721 = 7.11 -> 7;
        # lapses: the Again after 5 days counts, the first-day Again (delta_t 0) does not:
        # 1 -> 1.65 -> 2.
        assert rmse_bin_key([(1, 0), (3, 3), (1, 5), (3, 0), (3, 12)]) == (898, 7, 2)

    def test_rmse_bins_hand_computed(self) -> None:
        items = [
            item((3, 0), (3, 1)),  # bin (248, 4, 0), recalled
            item((3, 0), (1, 1)),  # bin (248, 4, 0), forgotten (the current Again is no lapse)
            item((1, 0), (3, 0), (3, 2)),  # bin (248, 4, 0): same-day Again is no lapse
            item((3, 0), (3, 5)),  # bin (898, 4, 0), recalled
        ]
        predictions = [0.9, 0.7, 0.8, 0.6]
        # Bin (248, 4, 0): mean prediction 0.8, mean outcome 2/3, 3 items.
        # Bin (898, 4, 0): mean prediction 0.6, mean outcome 1, 1 item.
        expected = math.sqrt((3 * (0.8 - 2 / 3) ** 2 + 1 * (0.6 - 1.0) ** 2) / 4)
        assert rmse_bins(items, predictions) == pytest.approx(expected)

    def test_same_day_review_cannot_be_binned(self) -> None:
        with pytest.raises(ValueError):
            rmse_bin_key([(3, 0), (3, 0)])


class TestSm2:
    def test_hand_worked_sequence(self) -> None:
        ratings_and_expected = [
            (3, SM2State(1, 2.5, 1)),  # q4: I(1) = 1, EF unchanged
            (3, SM2State(2, 2.5, 6)),  # I(2) = 6
            (3, SM2State(3, 2.5, 15)),  # 6 * 2.5
            (3, SM2State(4, 2.5, 38)),  # 15 * 2.5 = 37.5, rounded half-up
            (1, SM2State(0, 1.7, 1)),  # q0: restart, EF - 0.8
            (3, SM2State(1, 1.7, 1)),
            (3, SM2State(2, 1.7, 6)),
            (4, SM2State(3, 1.8, 10)),  # 6 * 1.7 = 10.2 -> 10 with the old EF; q5: EF + 0.1
            (2, SM2State(4, 1.66, 18)),  # q3: 10 * 1.8 = 18; EF - 0.14
            (1, SM2State(0, 1.3, 1)),  # EF 1.66 - 0.8 floored at 1.3
        ]
        state = None
        for rating, expected in ratings_and_expected:
            state = sm2_review(state, rating)
            assert state.repetitions == expected.repetitions
            assert state.ease_factor == pytest.approx(expected.ease_factor)
            assert state.interval == expected.interval

    def test_same_day_reviews_are_not_repetitions(self) -> None:
        assert sm2_interval([(3, 0), (3, 0), (3, 0)]) == 1
        assert sm2_interval([(1, 0), (3, 0), (3, 1), (3, 0), (3, 6)]) == 6

    def test_prediction_is_ninety_percent_at_the_interval(self) -> None:
        predicted = predict_sm2([item((3, 0), (3, 1), (3, 6)), item((3, 0), (3, 1), (3, 12))])
        assert predicted == pytest.approx([0.9, 0.81])


class TestFsrs6Prediction:
    def test_forgetting_curve_matches_py_fsrs(self) -> None:
        scheduler = fsrs.Scheduler()
        reviewed = datetime(2024, 5, 1, tzinfo=UTC)
        card = fsrs.Card(card_id=1, state=fsrs.State.Review, stability=7.5, difficulty=5.0)
        card.last_review = reviewed
        for days in (1, 3, 20, 400):
            expected = scheduler.get_card_retrievability(card, reviewed + timedelta(days=days))
            assert forgetting_curve(days, 7.5, DEFAULT_PARAMETERS[20]) == pytest.approx(expected)
        assert forgetting_curve(7.5, 7.5, 0.4) == pytest.approx(0.9)

    def test_batch_prediction_matches_fsrs_rs_item_by_item(self) -> None:
        items = [
            item((3, 0), (3, 2)),
            item((1, 0), (3, 0), (3, 1), (1, 4), (3, 0), (3, 3)),
            item((4, 0), (3, 9), (3, 30)),
        ]
        model = fsrs_rs_python.FSRS(list(DEFAULT_PARAMETERS))
        expected = []
        for one in items:
            state = model.memory_state(one.history_fsrs_item())
            expected.append(forgetting_curve(one.delta_t, state.stability, DEFAULT_PARAMETERS[20]))
        assert predict_fsrs6(items, DEFAULT_PARAMETERS) == pytest.approx(expected, rel=1e-9)


class TestFolds:
    def test_like_fsrs_rs_time_series_split(self) -> None:
        folds = time_series_folds(13, 5)
        assert [(fold.train_end, fold.test_end) for fold in folds] == [
            (2, 4),
            (4, 6),
            (6, 8),
            (8, 10),
            (10, 13),  # the last fold takes the remainder
        ]

    def test_too_few_items(self) -> None:
        with pytest.raises(ValueError, match="cannot be split"):
            time_series_folds(5, 5)


class RecordingFitter:
    """Stands in for fsrs-rs: records what each fit was given, returns the defaults."""

    def __init__(self) -> None:
        self.calls: list[list[HistoryItem]] = []

    def __call__(self, items: Sequence[HistoryItem]) -> tuple[float, ...]:
        self.calls.append(list(items))
        return DEFAULT_PARAMETERS


class TestEvaluate:
    def test_each_fold_is_fitted_only_on_earlier_items(self) -> None:
        events = regular_log()
        items = build_history_items(events, tz="UTC")
        fitter = RecordingFitter()
        report = evaluate(events, tz="UTC", fitter=fitter, reference=False)
        assert len(fitter.calls) == 5
        for fold, train in zip(report.folds, fitter.calls, strict=True):
            assert train == items[: fold.train_items]
            assert max(one.reviewed_at for one in train) <= fold.test_from
        assert [len(train) for train in fitter.calls] == sorted(len(t) for t in fitter.calls)
        # The first chunk is only ever training data; every later item is predicted once.
        first_chunk = len(items) // 6
        assert report.folds[0].train_items == first_chunk
        assert sum(fold.test_items for fold in report.folds) == len(items) - first_chunk

    def test_same_day_reviews_and_first_reviews_are_not_predicted(self) -> None:
        events = regular_log(cards=40, days=20)
        report = evaluate(events, tz="UTC", fitter=RecordingFitter(), reference=False)
        same_day = sum(1 for event in events if event.rating == 1)  # each gets a second look
        assert report.review_count == len(events)
        assert report.card_count == 40
        assert report.same_day_count == same_day
        assert report.item_count == 40 * 19  # one predictable review per card per later day
        assert {metrics.n for metrics in report.models.values()} == {
            report.item_count - report.item_count // 6
        }

    def test_baseline_predicts_the_training_recall_rate(self) -> None:
        events = regular_log()
        report = evaluate(events, tz="UTC", fitter=RecordingFitter(), reference=False)
        items = build_history_items(events, tz="UTC")
        first_train = items[: report.folds[0].train_items]
        assert report.folds[0].baseline_recall == pytest.approx(
            sum(one.recalled for one in first_train) / len(first_train)
        )

    def test_report_is_json_serialisable_and_reports_progress(self) -> None:
        calls: list[tuple[int, int]] = []
        report = evaluate(
            regular_log(),
            tz="UTC",
            fitter=RecordingFitter(),
            progress=lambda *call: calls.append(call),
        )
        data = json.loads(json.dumps(report.as_dict()))
        assert set(data["models"]) == set(MODEL_NAMES)
        assert data["fsrs_rs"]["reference"]["log_loss"] > 0
        assert set(data["fsrs_rs"]["models"]) == {"fsrs6_default", "fsrs6_fitted"}
        assert calls == [(1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)]

    def test_reference_difference_only_with_five_folds(self) -> None:
        report = evaluate(regular_log(), tz="UTC", folds=3, fitter=RecordingFitter())
        assert report.fsrs_rs_reference is not None
        assert report.fsrs_rs_reference.log_loss_relative_difference is None
        assert report.notes

    def test_fsrs_is_scored_through_the_products_own_scheduling(self) -> None:
        # 21:00 and 08:30 in Yerevan on alternate days: the next-morning review is a study day
        # later though under 24 hours, the evening one a study day later at 36 hours.
        midnight = datetime(2024, 1, 1, tzinfo=UTC)
        events = [
            ReviewEvent(f"card-{card}", 1 if (card + day) % 5 == 0 else 3, moment)
            for card in range(40)
            for day in range(20)
            for moment in [midnight + timedelta(days=day, hours=4.5 if day % 2 else 17)]
        ]
        report = evaluate(events, tz="Asia/Yerevan", fitter=RecordingFitter(), reference=False)
        items = build_history_items(events, tz="Asia/Yerevan")
        predicted = items[report.folds[0].train_items :]
        config = SchedulerConfig(tz=ZoneInfo("Asia/Yerevan"))
        expected = []
        for one in predicted:
            card = [e for e in events if e.card_id == one.card_id]
            history = [ReviewInput(e.rating, e.reviewed_at) for e in card[: len(one.reviews) - 1]]
            memory = scheduling.replay(history, config=config)
            expected.append(scheduling.predicted_recall(memory, now=one.reviewed_at, config=config))
        labels = [one.recalled for one in predicted]
        assert report.models["fsrs6_default"].log_loss == pytest.approx(log_loss(labels, expected))
        # fsrs-rs, predicting the same folds on its own, agrees with the product.
        assert report.fsrs_rs is not None
        assert report.fsrs_rs.max_prediction_difference["fsrs6_default"] < 1e-5
        assert report.fsrs_rs.models["fsrs6_default"].log_loss == pytest.approx(
            report.models["fsrs6_default"].log_loss, rel=1e-5
        )

    def test_a_log_too_small_to_judge_is_refused_with_the_count_it_needs(self) -> None:
        events = regular_log(cards=12, days=8)
        with pytest.raises(LogTooSmall, match=r"has 84 predictable reviews.*at least 600"):
            evaluate(events, tz="UTC", fitter=RecordingFitter(), reference=False)

    def test_auc_null_is_explained(self) -> None:
        events = [
            ReviewEvent(f"card-{card}", 3, START + timedelta(days=day, minutes=card))
            for card in range(40)
            for day in range(20)
        ]
        report = evaluate(events, tz="UTC", fitter=RecordingFitter(), reference=False)
        assert report.models["fsrs6_fitted"].auc is None
        assert any("every predicted review was recalled" in note for note in report.notes)


class TestBootstrap:
    def test_intervals_of_fitted_minus_each_other_model(self) -> None:
        report = evaluate(
            regular_log(), tz="UTC", fitter=RecordingFitter(), reference=False, bootstrap=200
        )
        assert report.bootstrap is not None
        comparison = report.bootstrap.fitted_minus
        assert set(comparison) == {"baseline", "sm2", "fsrs6_default"}
        models = report.models
        for other, metrics in comparison.items():
            for metric, interval in metrics.items():
                fitted = getattr(models["fsrs6_fitted"], metric)
                assert interval.estimate == pytest.approx(fitted - getattr(models[other], metric))
                assert interval.low <= interval.estimate <= interval.high
        # The recording fitter returns the defaults: fitted and default never differ.
        same = comparison["fsrs6_default"]["log_loss"]
        assert (same.low, same.estimate, same.high) == pytest.approx((0, 0, 0), abs=1e-12)
        assert comparison["baseline"]["log_loss"].low < comparison["baseline"]["log_loss"].high

    def test_is_reproducible_by_seed(self) -> None:
        def run(seed: int):
            report = evaluate(
                regular_log(),
                tz="UTC",
                fitter=RecordingFitter(),
                reference=False,
                bootstrap=50,
                seed=seed,
            )
            return report.as_dict()["bootstrap"]

        assert run(1) == run(1)
        assert run(1) != run(2)


class TestReadRevlog:
    HEADER = "card_id,review_rating,review_time,review_duration\n"

    def write(self, tmp_path: Path, body: str, header: str = HEADER) -> Path:
        path = tmp_path / "log.csv"
        path.write_text(header + body, encoding="utf-8")
        return path

    def test_reads_rows(self, tmp_path: Path) -> None:
        path = self.write(
            tmp_path,
            "17,3,2024-03-29T20:32:32.250000+00:00,7241\n17,1,2024-03-30T20:00:00Z,\n",
            header="\ufeff" + self.HEADER,
        )
        events = read_revlog(path)
        assert events == [
            ReviewEvent("17", 3, datetime(2024, 3, 29, 20, 32, 32, 250000, tzinfo=UTC)),
            ReviewEvent("17", 1, datetime(2024, 3, 30, 20, tzinfo=UTC)),
        ]

    @pytest.mark.parametrize(
        ("bad_row", "problem"),
        [
            ("17,5,2024-03-29T20:32:32+00:00,1", "review_rating"),
            ("17,good,2024-03-29T20:32:32+00:00,1", "review_rating"),
            ("17,3,yesterday,1", "ISO 8601"),
            ("17,3,2024-03-29T20:32:32,1", "no UTC offset"),
            ("17,3,2024-03-29T20:32:32+00:00,-4", "review_duration"),
            (",3,2024-03-29T20:32:32+00:00,1", "card_id"),
            ("17,3", "expected 4 fields"),
            ("17,3,2024-03-29T20:32:32+00:00,1,extra", "expected 4 fields"),
        ],
    )
    def test_errors_name_the_line(self, tmp_path: Path, bad_row: str, problem: str) -> None:
        good = "17,3,2024-03-28T20:32:32+00:00,1\n"
        path = self.write(tmp_path, good + good + bad_row + "\n" + good)
        with pytest.raises(ValueError, match=problem) as raised:
            read_revlog(path)
        assert f"{path}:4:" in str(raised.value)

    def test_missing_column(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, "17,3\n", header="card_id,review_rating\n")
        with pytest.raises(ValueError, match=r":1: missing column\(s\): review_time"):
            read_revlog(path)

    def test_a_file_that_is_not_utf8_names_the_line(self, tmp_path: Path) -> None:
        path = tmp_path / "log.csv"
        good = b"17,3,2024-03-28T20:32:32+00:00,1\n"
        path.write_bytes(self.HEADER.encode() + good + b"caf\xe9,3,2024-03-29T20:32:32+00:00,1\n")
        with pytest.raises(ValueError, match=rf"{path}:3: not UTF-8 text \(byte 0xe9\)"):
            read_revlog(path)

    def test_empty_file(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, "", header="")
        with pytest.raises(ValueError, match="empty file"):
            read_revlog(path)


def test_shared_log_meets_the_targets() -> None:
    """The published figures (docs/scheduler-evaluation.md) on the shared review log, scored
    on the product's own scheduling code."""
    if not SHARED_LOG.exists():
        pytest.fail(
            f"shared review log not found at {SHARED_LOG}; it lives in the shared data "
            "checkout beside the repository (../shared), which CI always provides"
        )
    report = evaluate(read_revlog(SHARED_LOG), tz="Etc/GMT+7", day_start_hour=4)
    fitted, default = report.models["fsrs6_fitted"], report.models["fsrs6_default"]
    assert report.review_count == 12_580
    assert report.card_count == 1_205
    assert fitted.log_loss <= 0.440
    assert fitted.rmse_bins <= 0.045
    assert default.log_loss <= 0.445
    assert default.rmse_bins <= 0.065
    for other in ("baseline", "sm2"):
        assert fitted.log_loss < report.models[other].log_loss
        assert fitted.rmse_bins < report.models[other].rmse_bins
    assert len({metrics.n for metrics in report.models.values()}) == 1
    # The live path and fsrs-rs predict the same folds alike (float32 against float64).
    assert report.fsrs_rs is not None
    assert max(report.fsrs_rs.max_prediction_difference.values()) < 1e-4
    reference = report.fsrs_rs_reference
    assert reference is not None
    assert reference.log_loss_relative_difference is not None
    assert reference.rmse_bins_relative_difference is not None
    assert abs(reference.log_loss_relative_difference) < 0.01
    assert abs(reference.rmse_bins_relative_difference) < 0.01


class TestCommand:
    def test_unknown_time_zone_is_a_clear_error(self, tmp_path: Path) -> None:
        path = tmp_path / "log.csv"
        path.write_text(TestReadRevlog.HEADER, encoding="utf-8")
        with pytest.raises(CommandError, match=r"unknown time zone 'Mars/Olympus'.*IANA"):
            call_command("evaluate_scheduler", revlog=path, tz="Mars/Olympus", verbosity=0)

    def test_a_small_log_is_refused_with_the_count_it_needs(self, tmp_path: Path) -> None:
        path = tmp_path / "log.csv"
        rows = "".join(
            f"{e.card_id},{e.rating},{e.reviewed_at.isoformat()},1000\n"
            for e in regular_log(cards=12, days=8)
        )
        path.write_text(TestReadRevlog.HEADER + rows, encoding="utf-8")
        with pytest.raises(CommandError, match="needs at least 600"):
            call_command("evaluate_scheduler", revlog=path, verbosity=0)

    def test_prints_the_report_with_bootstrap_intervals(self, tmp_path: Path, capsys) -> None:
        path = tmp_path / "log.csv"
        rows = "".join(
            f"{e.card_id},{e.rating},{e.reviewed_at.isoformat()},1000\n" for e in regular_log()
        )
        path.write_text(TestReadRevlog.HEADER + rows, encoding="utf-8")
        call_command("evaluate_scheduler", revlog=path, bootstrap=20, verbosity=0)
        data = json.loads(capsys.readouterr().out)
        assert data["bootstrap"]["resamples"] == 20
        assert set(data["bootstrap"]["fitted_minus"]) == {"baseline", "sm2", "fsrs6_default"}
        assert data["models"]["fsrs6_fitted"]["n"] == data["fsrs_rs"]["models"]["fsrs6_fitted"]["n"]
