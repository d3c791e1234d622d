"""Staff login and logout."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import security
from ..database import parses_first
from ..domain import users
from ..errors import Invalid
from ..extensions import limiter
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


def _posted_username() -> str:
    """The username a login form names (case as typed, surrounding spaces ignored): the key of the
    per-account limit, so guesses at one account from many addresses are counted together."""
    return "login-user:" + (request.form.get("username") or "").strip()[:64]


def _failed(resp) -> bool:
    """Only failed logins count against the limits: a user who gets in is never held back."""
    return resp.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@parses_first  # the password is checked before the write lock is taken (users.authenticate takes it)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_USER_RATE_LIMIT"], key_func=_posted_username, methods=["POST"],
               deduct_when=_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.username.data, form.password.data)
        if user is not None:
            security.begin_staff_session(user)
            return redirect(home_for(user))
        flash(_("用户名或密码错误。"), "error")
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码")), Length(max=200)])
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码")), Length(max=200)])
    again = PasswordField(_l("再次输入新密码"), validators=[DataRequired(_l("请再次输入新密码")), Length(max=200)])


@bp.route("/account/password", methods=["GET", "POST"])
@parses_first  # both passwords are checked and the new one hashed before the write lock (users._set_password)
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=lambda r: r.status_code == 400)
def password():
    """Change one's own password: every other session of the account ends, this one goes on."""
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        if form.new.data != form.again.data:
            error = _("两次输入的新密码不一致。")
        else:
            me = current_user._get_current_object()  # login_user needs the user, not the proxy
            try:
                users.change_own_password(me, form.current.data, form.new.data)
            except Invalid as e:  # shown on the form, which keeps nothing typed
                error = e.message
            else:
                security.begin_staff_session(me)
                flash(_("密码已修改；其他设备上的登录已失效。"), "success")
                return redirect(home_for(me))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Log out everywhere: every session of the user ends, not just this browser's."""
    if current_user.is_authenticated:
        users.end_sessions(current_user)
    logout_user()
    security.end_this_session()
    return redirect(url_for("auth.index"))
