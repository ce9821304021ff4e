from django.http import HttpRequest, HttpResponse


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


export = upload = page
