"""The learner's workload simulation: how much study the next 30, 90 and 365 days hold at each
desired retention (`quizapp.study.simulation`). Asking runs it at once when it is small and
otherwise in the background; poll `GET me/workload` for its progress."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.fields import refuse_body
from quizapp.api.schema import errors
from quizapp.study.models import WorkloadSimulation
from quizapp.study.services import workload_simulation_request

TAGS = ["me"]


class WorkloadPointSerializer(serializers.Serializer):
    desired_retention = serializers.FloatField()
    reviews_per_day = serializers.FloatField(help_text="Averaged over the horizon.")
    minutes_per_day = serializers.FloatField(
        help_text="From the learner's own answer times where they have enough reviews."
    )
    memorised = serializers.FloatField(help_text="Cards remembered at the horizon's end.")
    minutes_per_memorised_card = serializers.FloatField()


class WorkloadHorizonSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    recommended_retention = serializers.FloatField(
        help_text="The retention with the least minutes per card remembered."
    )
    workloads = WorkloadPointSerializer(many=True, help_text="One per desired retention.")


class WorkloadResultSerializer(serializers.Serializer):
    started_cards = serializers.IntegerField()
    new_cards = serializers.IntegerField(help_text="New cards the year could introduce.")
    new_cards_per_day = serializers.IntegerField()
    max_reviews_per_day = serializers.IntegerField()
    personal_parameters = serializers.BooleanField()
    horizons = WorkloadHorizonSerializer(many=True)


class WorkloadSerializer(serializers.Serializer):
    # Not a choice field: its enum would collide in the schema with the attempts' `status`.
    status = serializers.CharField(
        help_text="`queued` or `running`: poll again; `done`: `result` is there; `failed`: "
        "ask again."
    )
    progress = serializers.FloatField(help_text="Share done, 0 to 1.")
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    result = WorkloadResultSerializer(allow_null=True, help_text="Null until done.")


def workload_data(simulation: WorkloadSimulation) -> dict:
    result = simulation.result
    if result is not None:
        result = {
            **{key: result[key] for key in WorkloadResultSerializer().fields if key != "horizons"},
            "horizons": [
                {
                    "days": days,
                    "recommended_retention": result["recommended"][str(days)],
                    "workloads": result["workloads"][str(days)],
                }
                for days in result["horizons"]
            ],
        }
    return WorkloadSerializer(
        {
            "status": simulation.status,
            "progress": simulation.progress,
            "requested_at": simulation.requested_at,
            "finished_at": simulation.finished_at,
            "result": result,
        }
    ).data


class WorkloadApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The learner's latest workload simulation",
        description="Its status and progress, and once `done` the simulated reviews and "
        "minutes a day and cards remembered at each desired retention for the next 30, 90 "
        "and 365 days. 404 before the first simulation.",
        responses={200: WorkloadSerializer, **errors(401, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        simulation = WorkloadSimulation.objects.filter(user=request.user).first()
        if simulation is None:
            raise Http404
        return Response(workload_data(simulation))

    @extend_schema(
        tags=TAGS,
        summary="Simulate the learner's workload",
        description="Runs at once when the learner's cards are few (201, `done`); otherwise "
        "queues it (202, `queued`) and `GET me/workload` shows its progress. A simulation "
        "already queued or running is returned as it is.",
        request=None,
        responses={
            201: WorkloadSerializer,
            202: WorkloadSerializer,
            **errors(400, 401, 403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        refuse_body(request.data)
        simulation = workload_simulation_request(user=request.user)
        done = simulation.status == WorkloadSimulation.Status.DONE
        return Response(
            workload_data(simulation),
            status=status.HTTP_201_CREATED if done else status.HTTP_202_ACCEPTED,
        )
