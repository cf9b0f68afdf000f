import factory
from django.contrib.auth.hashers import make_password

from quizapp.accounts.models import User
from quizapp.accounts.roles import user_make_teacher

PASSWORD = "correct-horse-battery"


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"student{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))


class TeacherFactory(StudentFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")

    @factory.post_generation
    def teacher_role(user, create, extracted, **kwargs):
        if create:
            user_make_teacher(user=user)
