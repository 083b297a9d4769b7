from services.geocoding.main import main

main()
