"""`GET /progress`: streak, reviews per day, true retention, forecast and mastery per deck."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.schema import errors
from quizapp.study.progress import learner_progress
from quizapp.study.selectors import exam_outlook


class TodayProgressSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Today's study day in the learner's time zone.")
    streak = serializers.IntegerField(help_text="Study days in a row with a review.")
    reviews = serializers.IntegerField()
    again = serializers.IntegerField()
    new_cards = serializers.IntegerField()
    duration_ms = serializers.IntegerField()


class DayReviewsSerializer(serializers.Serializer):
    day = serializers.DateField()
    reviews = serializers.IntegerField()


class WeekRetentionSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Inclusive.")
    reviews = serializers.IntegerField()
    recalled = serializers.IntegerField()
    retention = serializers.FloatField(allow_null=True)


class DayForecastSerializer(serializers.Serializer):
    day = serializers.DateField()
    due = serializers.IntegerField()


class DeckMasterySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    total = serializers.IntegerField()
    started = serializers.IntegerField()
    mastered = serializers.IntegerField(help_text="Started cards stable for 21 days or more.")
    mastery = serializers.FloatField(help_text="mastered / total.")


class ExamSerializer(serializers.Serializer):
    deck = serializers.CharField(source="exam.deck_slug", help_text="The deck's slug.")
    deck_title = serializers.CharField(source="exam.deck_title")
    exam_date = serializers.DateField(source="exam.day")
    source = serializers.CharField(source="exam.source", help_text="The class that set it.")
    days_left = serializers.IntegerField(help_text="Study days before it, today included.")
    cards_to_review = serializers.IntegerField(
        help_text="Cards of the deck that would be below the desired retention on the exam "
        "day (started ones not reviewed in time, and those not started)."
    )
    brought_forward_today = serializers.IntegerField(
        source="share_today", help_text="How many of them the study queue brings today."
    )


class ProgressApi(APIView):
    class OutputSerializer(serializers.Serializer):
        today = TodayProgressSerializer()
        reviews_per_day = DayReviewsSerializer(many=True, help_text="Last 365 days, oldest first.")
        retention = serializers.FloatField(
            allow_null=True, help_text="True retention over the last 30 days."
        )
        retention_reviews = serializers.IntegerField()
        retention_per_week = WeekRetentionSerializer(many=True)
        forecast = DayForecastSerializer(many=True, help_text="Cards due in the next 30 days.")
        decks = DeckMasterySerializer(many=True)
        desired_retention = serializers.FloatField()
        exams = ExamSerializer(
            many=True, help_text="Exams coming (class assignments with an exam date)."
        )

    @extend_schema(
        tags=["progress"],
        summary="The learner's progress",
        responses={200: OutputSerializer, **errors(401, 429)},
    )
    def get(self, request: Request) -> Response:
        progress = learner_progress(user=request.user)
        exams = exam_outlook(user=request.user)
        return Response(self.OutputSerializer({**vars(progress), "exams": exams}).data)
