-- One database per service (docker-compose's PostgreSQL runs this on first start).
CREATE DATABASE members;
CREATE DATABASE registrations;
CREATE DATABASE notifications;
CREATE DATABASE documents;
CREATE DATABASE backoffice;
CREATE DATABASE payments;
