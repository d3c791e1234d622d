"""Staff login and logout."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db, limiter
from ..models import User
from .common import home_for

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=200)])


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("index.html")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user and user.check_password(form.password.data):
            login_user(user)
            return redirect(home_for(user))
        flash(_("用户名或密码错误。"), "error")
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.index"))
