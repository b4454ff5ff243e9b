# One image for the web process, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim

# VAR_DIR and STATIC_ROOT are set explicitly so build time (collectstatic) and run time agree.
# Collected static files live outside var/: a volume mounted over var/ (or part of it) can then
# neither hide them nor keep a stale copy after a rebuild. WhiteNoise serves them from
# STATIC_ROOT, using the manifest that collectstatic writes there.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# settings.py needs SECRET_KEY when DEBUG is off; this value exists only for this build step.
# No database or broker is touched here.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

# Run as an unprivileged user; only var/ (uploads, beat schedule, embedded files) is writable.
# var/media is created here so a fresh named volume mounted on it inherits this ownership.
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var
USER app

EXPOSE 8000

CMD ["gunicorn", "helpdesk.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
